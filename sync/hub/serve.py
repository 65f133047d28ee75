"""Run the hub under uvicorn: `serve(db_url, listen)`, and the `python -m sync.hub` entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from agent.platform.peer import is_loopback
from sync.hub.app import create_app
from sync.hub.config import HubConfig, load_config
from sync.hub.core import HubSettings
from sync.hub.db import default_data_dir, default_db_url

__all__ = ["DEFAULT_LISTEN", "main", "parse_listen", "serve", "settings_from"]

DEFAULT_LISTEN = "127.0.0.1:7380"


def parse_listen(listen: str) -> tuple[str, int]:
    """`HOST:PORT` or `[V6]:PORT` -> (host, port); ValueError with a clear message."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"--listen {listen!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}")
    return host.strip("[]"), int(port_text)




def settings_from(config: HubConfig) -> HubSettings:
    """Hub settings with what `hub.toml` says (public URL, SMTP, Web Push)."""
    return HubSettings(public_url=config.public_url, smtp=config.smtp, push=config.push)


def serve(db_url: str | None, listen: str | None = None, *, ssl_certfile: str | None = None,
          ssl_keyfile: str | None = None, access_log: bool = False,
          config_path: Path | None = None) -> int:
    """Serve the hub until SIGINT/SIGTERM; returns an exit code (0 ok, 1 failure, 2 bad input).

    `config_path` (default: `hub.toml` in the data dir, when it exists) gives the database,
    address, public URL, SMTP and Web Push settings; explicit arguments win over it.
    """
    path = config_path or default_data_dir() / "hub.toml"
    try:
        hub_config = load_config(path) if config_path or path.is_file() else HubConfig()
    except (OSError, ValueError) as exc:
        print(f"playclock hub: {exc}", file=sys.stderr)
        return 2
    listen = listen or hub_config.listen or DEFAULT_LISTEN
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        print(f"playclock hub: {exc}", file=sys.stderr)
        return 2
    url = db_url or hub_config.db_url or default_db_url()
    shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
    try:
        app = create_app(url, settings_from(hub_config))
    except ValueError as exc:
        print(f"playclock hub: {exc}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, RuntimeError, OSError) as exc:
        print(f"playclock hub: cannot open database {shown}: {exc}".splitlines()[0],
              file=sys.stderr)
        return 1
    if not is_loopback(host) and not ssl_certfile:
        print(f"playclock hub: warning: listening on {host} without TLS; tokens and passwords "
              "cross the network in clear: use --tls-cert/--tls-key or a TLS reverse proxy",
              file=sys.stderr)
    scheme = "https" if ssl_certfile else "http"
    print(f"playclock hub: serving {scheme}://{listen} with database {shown}", file=sys.stderr,
          flush=True)
    opened = (hub_config.public_url or f"{scheme}://{listen}").rstrip("/")
    print(f"playclock hub: parents open {opened}/ in a browser (add it to the phone's home "
          "screen)", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=ssl_certfile,
                            ssl_keyfile=ssl_keyfile, access_log=access_log, log_level="info",
                            proxy_headers=True, server_header=False,
                            # Idle keep-alive clients must not hold a stop up for ever.
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits this way (code 3) when it cannot bind
        return 0 if exc.code in (0, None) else 1
    return 0 if server.started else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `[--db URL] [--listen HOST:PORT] [--tls-cert F --tls-key F] [--access-log]`."""
    parser = argparse.ArgumentParser(prog="playclock hub serve",
                                     description="Run the PlayClock family hub.")
    parser.add_argument("--db", metavar="URL", help="sqlite:///PATH (default: hub.sqlite in the "
                        "data dir) or postgresql+psycopg://USER:PASS@HOST/DB")
    parser.add_argument("--listen", metavar="HOST:PORT",
                        help=f"address to listen on (default: hub.toml's, else {DEFAULT_LISTEN})")
    parser.add_argument("--config", metavar="FILE", type=Path,
                        help="hub.toml (default: the one in the data dir, when it exists)")
    parser.add_argument("--tls-cert", metavar="FILE")
    parser.add_argument("--tls-key", metavar="FILE")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    return serve(args.db, args.listen, ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key,
                 access_log=args.access_log, config_path=args.config)


if __name__ == "__main__":
    sys.exit(main())
