"""The distribution's toolchain: versions, and the capabilities its core packages carry.

These are the fixed points the generated dependencies lean on: the Python and GHC
versions in paths and ABI provides, what glibc, bash, perl and friends provide when
the world has them, and the BuildRequires every family's spec files start with.
"""

from __future__ import annotations

__all__ = [
    "CORE_PROVIDES",
    "FIXED_VERSIONS",
    "GHC",
    "LIBC",
    "PERL_COMPAT",
    "PYTHON",
    "TOOLCHAIN",
]

#: The Python and GHC versions in site-packages paths, ABI provides and library paths.
PYTHON = "3.14"
GHC = "9.10"
PERL_COMPAT = "perl(:MODULE_COMPAT_5.40.0)"
LIBC = "libc.so.6()(64bit)"

#: Capabilities the toolchain packages provide, when the world has them.
CORE_PROVIDES: dict[str, tuple[str, ...]] = {
    "glibc": (LIBC, "libc.so.6(GLIBC_2.34)(64bit)", "libm.so.6()(64bit)", "rtld(GNU_HASH)"),
    "bash": ("/bin/sh", "/bin/bash", "/usr/bin/sh"),
    "python3.14": ("python3", "python(abi)", "/usr/bin/python3"),
    "perl": ("perl-interpreter", PERL_COMPAT, "perl(strict)", "perl(warnings)"),
    "rust": ("cargo", "rust-std-static"),
    "golang": ("go-filesystem", "go-rpm-macros"),
    "nodejs22": ("nodejs", "npm", "nodejs-packaging"),
    "php": ("php(language)", "php-cli"),
    "texlive": ("texlive-base", "tex(latex)"),
    "gcc": ("libgcc_s.so.1()(64bit)", "libstdc++.so.6()(64bit)"),
    "openssl": ("libssl.so.3()(64bit)", "libcrypto.so.3()(64bit)"),
    "zlib-ng": ("libz.so.1()(64bit)",),
    "systemd": ("systemd-rpm-macros", "libsystemd.so.0()(64bit)"),
}
FIXED_VERSIONS: dict[str, tuple[str, str]] = {"python(abi)": ("EQ", PYTHON)}

#: The BuildRequires every spec file of a family starts with.
TOOLCHAIN: dict[str, tuple[str, ...]] = {
    "python": ("python3-devel", "pyproject-rpm-macros", "python3dist(pytest)"),
    "rust": ("cargo-rpm-macros",),
    "golang": ("go-rpm-macros",),
    "perl": ("perl-generators", "perl-interpreter", "perl(ExtUtils::MakeMaker)", "make"),
    "ghc": ("ghc-Cabal-devel", "ghc-rpm-macros"),
    "nodejs": ("nodejs-packaging",),
    "texlive": ("texlive-base",),
    "R": ("R-devel",),
    "php": ("php-fedora-autoloader-devel",),
    "plain": (),
}
