"""`python -m generator {generate,check,docs-check,docs-import,lint}` — see generator/README.md."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "docs-check":
        from generator.docs_check import main as run
    elif command == "docs-import":
        from generator.docs_import import main as run
    elif command == "lint":
        from generator.spec_lint import main as run
    elif command in {"generate", "check"}:
        from generator.codegen import main as run

        rest = [command, *rest]
    else:
        print(
            f"unknown command {command!r}; expected generate, check, docs-check, docs-import or lint",
            file=sys.stderr,
        )
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
