"""The vocabulary of generated package names, summaries and maintainers.

Fedora's source packages follow ecosystem prefixes (``python-``, ``rust-``,
``golang-github-``, ``perl-``, ``ghc-``, ``nodejs-``, ``texlive-``, ``R-``,
``php-``) around upstream project names; the rest are plain names. The shares
below are close to rawhide's (about a fifth each for perl, python and rust, a
tenth for Go, a quarter plain).
"""

from __future__ import annotations

import random
from typing import TypeVar

T = TypeVar("T")

FAMILIES: tuple[tuple[str, float], ...] = (
    ("python", 0.16),
    ("rust", 0.14),
    ("perl", 0.13),
    ("golang", 0.10),
    ("texlive", 0.06),
    ("nodejs", 0.04),
    ("ghc", 0.03),
    ("php", 0.03),
    ("R", 0.02),
    ("plain", 0.29),
)

#: Well-known packages that every Fedora user meets; they anchor tests and the demo.
CORE_PACKAGES: tuple[tuple[str, str, float], ...] = (
    ("kernel", "The Linux kernel", 60.0),
    ("bash", "The GNU Bourne Again shell", 4.0),
    ("glibc", "The GNU libc libraries", 12.0),
    ("gcc", "Various compilers (C, C++, Objective-C, ...)", 10.0),
    ("systemd", "System and Service Manager", 16.0),
    ("python3.14", "Version 3.14 of the Python interpreter", 8.0),
    ("firefox", "Mozilla Firefox Web browser", 14.0),
    ("chromium", "A WebKit (Blink) powered web browser that Google doesn't want you to use", 10.0),
    ("thunderbird", "Mozilla Thunderbird mail/newsgroup client", 5.0),
    ("gnome-shell", "Window management and application launching for GNOME", 8.0),
    ("mesa", "Mesa graphics libraries", 8.0),
    ("dnf", "Package manager", 6.0),
    ("rpm", "The RPM package management system", 5.0),
    ("koji", "Build system tools", 2.0),
    ("bodhi", "A modular framework that facilitates publishing software updates", 2.0),
    ("grep", "Pattern matching utilities", 1.5),
    ("coreutils", "A set of basic GNU tools commonly used in shell scripts", 3.0),
    ("openssl", "Utilities from the general purpose cryptography library with TLS implementation", 6.0),
    ("curl", "A utility for getting files from remote servers (FTP, HTTP, and others)", 4.0),
    ("vim", "The VIM editor", 4.0),
    ("emacs", "GNU Emacs text editor", 2.0),
    ("git", "Fast Version Control System", 4.0),
    ("podman", "Manage Pods, Containers and Container Images", 5.0),
    ("NetworkManager", "Network connection manager and user applications", 5.0),
    ("selinux-policy", "SELinux policy configuration", 10.0),
    ("anaconda", "Graphical system installer", 6.0),
    ("llvm", "The Low Level Virtual Machine", 5.0),
    ("golang", "The Go Programming Language", 4.0),
    ("rust", "The Rust Programming Language", 4.0),
    ("nodejs22", "JavaScript runtime", 3.0),
    ("libreoffice", "Free Software Productivity Suite", 6.0),
    ("gimp", "GNU Image Manipulation Program", 2.0),
    ("inkscape", "Vector-based drawing program using SVG", 2.0),
    ("qemu", "QEMU is a FAST! processor emulator", 5.0),
    ("libvirt", "Library providing a simple virtualization API", 4.0),
    ("nginx", "A high performance web server and reverse proxy server", 2.0),
    ("httpd", "Apache HTTP Server", 3.0),
    ("postgresql18", "PostgreSQL client programs", 3.0),
    ("redis", "A persistent key-value database", 1.5),
    ("rabbitmq-server", "The RabbitMQ server", 1.5),
    ("xorg-x11-server", "X.Org X11 X server", 3.0),
    ("pipewire", "Media Sharing Server", 4.0),
    ("flatpak", "Application deployment framework for desktop apps", 3.0),
    ("ostree", "Tool for managing bootable, immutable filesystem trees", 2.0),
    ("sqlite", "Library that implements an embeddable SQL database engine", 2.0),
    ("zlib-ng", "Zlib replacement with optimizations", 1.0),
    ("ffmpeg", "Digital VCR and streaming server", 3.0),
    ("texlive", "TeX formatting system", 2.0),
    ("perl", "Practical Extraction and Report Language", 3.0),
    ("php", "PHP scripting language for creating dynamic web sites", 3.0),
)

STEMS: tuple[str, ...] = (
    "aero", "alpha", "amber", "anchor", "apex", "arc", "arrow", "astro", "atlas", "aurora",
    "axis", "azure", "beacon", "bee", "binary", "birch", "blade", "blaze", "bloom", "bolt",
    "boron", "brick", "bridge", "bright", "brook", "byte", "cache", "canyon", "carbon", "cask",
    "cedar", "cell", "chain", "chart", "chisel", "chrono", "cipher", "circuit", "cloud", "cobalt",
    "codec", "comet", "coral", "core", "crane", "crate", "crest", "crypt", "crystal", "cube",
    "cursor", "dart", "dash", "data", "delta", "dial", "digit", "disk", "dock", "dove",
    "drift", "dune", "dust", "echo", "edge", "ember", "emit", "ether", "falcon", "fern",
    "fiber", "field", "flag", "flake", "flare", "flint", "flow", "flux", "forge", "fox",
    "frame", "frost", "fuse", "galaxy", "garnet", "gate", "gear", "geo", "glade", "glyph",
    "graph", "grid", "grove", "guard", "gust", "harbor", "hash", "hawk", "helix", "heron",
    "hex", "hive", "horizon", "hub", "hydra", "index", "ion", "iris", "iron", "jade",
    "jet", "jolt", "karma", "kernel", "key", "kite", "lake", "lambda", "lark", "laser",
    "lattice", "leaf", "lens", "level", "link", "lint", "lotus", "lumen", "lynx", "macro",
    "magnet", "maple", "marble", "matrix", "maze", "mesa", "mesh", "meta", "meteor", "mint",
    "mirror", "mist", "moss", "motor", "nebula", "needle", "nest", "net", "nexus", "nimbus",
    "node", "nova", "oak", "oasis", "octet", "onyx", "opal", "orbit", "otter", "oxide",
    "packet", "palette", "panda", "parse", "path", "peak", "pearl", "pebble", "pixel", "pine",
    "pipe", "pivot", "plasma", "plume", "polar", "pollen", "port", "prism", "probe", "proto",
    "pulse", "quark", "quartz", "query", "quill", "radar", "radix", "rail", "raven", "ray",
    "reef", "relay", "ridge", "ripple", "river", "rocket", "root", "ruby", "rune", "saga",
    "sage", "salt", "scope", "scribe", "seed", "sentry", "shard", "shell", "signal", "silk",
    "slate", "socket", "solar", "spark", "sphere", "spire", "spring", "sprout", "stack", "star",
    "stone", "storm", "stream", "summit", "swift", "sync", "tango", "tensor", "terra", "thread",
    "thunder", "tide", "timber", "token", "topaz", "torch", "trace", "trail", "tree", "tulip",
    "tundra", "turbo", "vapor", "vector", "velvet", "vertex", "vessel", "vine", "violet", "vista",
    "volt", "vortex", "wave", "web", "willow", "wind", "wire", "wolf", "xeno", "yarn",
    "yield", "zen", "zephyr", "zinc", "zone",
)

TOPICS: tuple[str, ...] = (
    "HTTP requests", "JSON parsing", "YAML configuration", "date and time handling",
    "command line parsing", "terminal colors", "image processing", "audio decoding",
    "compression", "cryptographic hashing", "TLS connections", "database access",
    "asynchronous I/O", "logging", "unit testing", "property-based testing", "XML processing",
    "regular expressions", "Unicode normalization", "network sockets", "DNS resolution",
    "configuration files", "templating", "serialization", "markdown rendering",
    "PDF generation", "spreadsheet files", "font rendering", "GPU compute",
    "numerical arrays", "statistics", "machine learning", "web scraping", "web servers",
    "REST APIs", "GraphQL clients", "OAuth authentication", "password hashing",
    "file system watching", "process management", "memory allocation", "UUID generation",
    "random numbers", "bit manipulation", "bloom filters", "graph algorithms",
    "geospatial data", "time zones", "email parsing", "MIME types", "URL parsing",
    "HTML sanitizing", "CSS parsing", "SVG rendering", "Bluetooth devices", "USB devices",
    "serial ports", "SSH connections", "git repositories", "container images",
    "Kubernetes clients", "cloud storage", "message queues", "caching", "rate limiting",
    "retry logic", "progress bars", "text wrapping", "spell checking", "internationalization",
)

APPS: tuple[str, ...] = (
    "A lightweight {t} tool", "Command line utility for {t}", "Library for {t}",
    "Fast {t} library", "Daemon for {t}", "GTK application for {t}", "Qt frontend for {t}",
    "Plugin framework for {t}", "Utilities for {t}", "Simple {t} toolkit",
)

LICENSES: tuple[tuple[str, float], ...] = (
    ("MIT", 0.25), ("GPL-2.0-or-later", 0.12), ("GPL-3.0-or-later", 0.10),
    ("Apache-2.0", 0.10), ("MIT OR Apache-2.0", 0.08), ("BSD-3-Clause", 0.07),
    ("GPL-1.0-or-later OR Artistic-1.0-Perl", 0.10), ("LGPL-2.1-or-later", 0.06),
    ("LPPL-1.3c", 0.04), ("ISC", 0.02), ("MPL-2.0", 0.02), ("BSD-2-Clause", 0.02),
    ("PHP-3.01", 0.01), ("Zlib", 0.01),
)

GIVEN: tuple[str, ...] = (
    "adam", "alex", "ana", "andrea", "anna", "ben", "carl", "chris", "dan", "david", "elena",
    "emma", "eric", "felix", "frank", "george", "hana", "igor", "ivan", "jakub", "jan", "jens",
    "jiri", "john", "jose", "julia", "karel", "kevin", "lara", "lukas", "marek", "maria",
    "mark", "martin", "matej", "michal", "miro", "nick", "nils", "olga", "ondrej", "pavel",
    "peter", "petr", "rafael", "robert", "sam", "sara", "simon", "stefan", "tomas", "victor",
    "vit", "yaakov", "zbigniew",
)
FAMILY: tuple[str, ...] = (
    "adams", "bauer", "black", "brown", "cerny", "chen", "costa", "dvorak", "fischer", "garcia",
    "hall", "hoffmann", "horak", "jones", "kral", "kumar", "lee", "lopez", "mayer", "miller",
    "moreau", "novak", "otto", "park", "pokorny", "rossi", "ruiz", "santos", "schmidt",
    "silva", "smith", "svoboda", "tanaka", "taylor", "vesely", "wagner", "walker", "wang",
    "weber", "wilson", "young", "zeman",
)

#: SIG groups that co-maintain a family's packages in dist-git.
FAMILY_GROUPS: dict[str, str] = {
    "python": "python-packagers-sig",
    "rust": "rust-sig",
    "golang": "go-sig",
    "perl": "perl-sig",
    "ghc": "haskell-sig",
    "nodejs": "nodejs-sig",
    "texlive": "texlive-sig",
    "R": "r-maint-sig",
    "php": "php-maint",
}


def user_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct FAS-style user names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        style = rng.random()
        if style < 0.45:
            name = f"{given[0]}{family}"
        elif style < 0.7:
            name = given + family[:2]
        elif style < 0.85:
            name = f"{given}{rng.randint(1, 99)}"
        else:
            name = f"{given}.{family}" if rng.random() < 0.5 else given
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def project_name(rng: random.Random) -> str:
    """An upstream project name such as ``brightflux`` or ``cobalt-parse``."""
    roll = rng.random()
    a, b = rng.choice(STEMS), rng.choice(STEMS)
    if roll < 0.35:
        return a + b
    if roll < 0.65:
        return f"{a}-{b}"
    if roll < 0.8:
        return f"{a}{rng.choice(('', 'py', 'lib', 'kit', 'io', 'rs', 'x'))}"
    if roll < 0.9:
        return f"lib{a}{b}" if rng.random() < 0.5 else f"{a}d"
    return f"{a}-{b}-{rng.choice(STEMS)}"


def weighted(rng: random.Random, choices: tuple[tuple[T, float], ...]) -> T:
    values = [c[0] for c in choices]
    weights = [c[1] for c in choices]
    return rng.choices(values, weights)[0]
