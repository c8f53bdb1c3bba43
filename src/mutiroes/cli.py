"""The `mutiroes` command: `mutiroes dev` runs the embedded platform; anything else is a Django command."""

import os
import sys


def _dev(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="mutiroes dev", description="Run the embedded platform (no servers needed).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    args = parser.parse_args(argv)

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    print(f"Mutirões (embedded) — data in {settings.DATA_DIR}")
    call_command("migrate", interactive=False, verbosity=0)
    if not args.no_demo:
        call_command("load_demo")
    base = f"http://{args.host}:{args.port}"
    print(f"API      {base}/api/v1/\nDocs     {base}/api/docs\nAdmin    {base}/admin/\nHealth   {base}/health\n")
    call_command("runserver", f"{args.host}:{args.port}", use_reloader=False)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutiroes.config.settings")
    argv = sys.argv[1:]
    if argv and argv[0] == "dev":
        _dev(argv[1:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mutiroes", *argv])


if __name__ == "__main__":
    main()
