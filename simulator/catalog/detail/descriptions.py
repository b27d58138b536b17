"""Descriptions: the package's own, or a realistic paragraph, and one per binary role."""

from __future__ import annotations

import textwrap

from simulator.catalog.detail.naming import crate_feature, family, seeded_rng
from simulator.catalog.detail.records import BinarySpec
from simulator.catalog.detail.toolchain import PYTHON
from simulator.catalog.model import Package

__all__ = ["binary_description", "description"]

_CLOSINGS: dict[str, tuple[str, ...]] = {
    "python": (
        f"It is packaged for Python {PYTHON} and installs as an importable module.",
        "The module has no mandatory compiled dependencies and is tested upstream "
        "against current CPython releases.",
    ),
    "rust": ("This package contains the crate sources, for building other Rust packages.",),
    "golang": ("This package contains the Go source code, for building other Go packages.",),
    "perl": ("The module is packaged from its CPAN distribution.",),
    "ghc": ("This package provides the Haskell library built with the Glasgow Haskell Compiler.",),
    "nodejs": ("The module is packaged from the npm registry.",),
    "texlive": ("The package is part of the TeX Live distribution.",),
    "R": ("The package is packaged from CRAN.",),
    "php": ("The library uses a Composer-compatible autoloader.",),
    "plain": (
        "It aims to be small, fast and easy to integrate with existing tools.",
        "It is configured through plain text files and works well in scripts.",
        "Its command line interface follows the usual GNU conventions.",
        "It is portable, well documented and maintained by an active upstream community.",
    ),
}


def description(seed: int, package: Package) -> str:
    """The package's description, or a realistic paragraph built from its summary."""
    if package.description:
        return package.description
    rng = seeded_rng(seed, package.name, "description")
    fam = family(package.name)
    summary = package.summary.rstrip(". ") or package.name
    sentences = [f"{summary}."]
    if package.url:
        sentences.append(f"The {package.name} project is developed upstream at {package.url}.")
    closing = rng.choice(_CLOSINGS[fam])
    sentences.append(closing)
    others = [s for s in _CLOSINGS["plain"] if s != closing]
    if rng.random() < 0.4:
        sentences.append(rng.choice(others))
    return textwrap.fill(" ".join(sentences), width=76)


def binary_description(seed: int, package: Package, spec: BinarySpec) -> str:
    name = package.name
    match spec.role:
        case "main" | "python3" | "gosource":
            return description(seed, package)
        case "crate":
            crate, _ = crate_feature(spec.name, name)
            return (
                f"This package contains library source intended for building other packages "
                f'which use the "{crate}" crate.'
            )
        case "feature":
            crate, feature = crate_feature(spec.name, name)
            return (
                f'This metapackage enables feature "{feature}" for the Rust {crate} crate, by '
                f"pulling in any additional dependencies needed by that feature."
            )
        case "devel":
            return (
                f"The {spec.name} package contains libraries and header files for "
                f"developing applications that use {name}."
            )
        case "libs":
            return f"The {spec.name} package contains the shared libraries of {name}."
        case "doc":
            return f"This package contains the documentation for {name}."
        case "tools":
            return f"The {spec.name} package contains command line tools shipped with {name}."
        case "prof":
            return f"This package provides the Haskell {name} profiling library."
        case _:
            return f"{spec.summary.rstrip('.')}."
