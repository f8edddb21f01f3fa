#!/usr/bin/env python3
"""Writes the forwarder's YAML configuration for the simulator's tenants (bench/ and scripts/).

Reads the simulator's --credentials-out file, writes each tenant's client secret to a file of its
own (mode --secret-mode; the configuration names it, never the secret itself) and prints the
configuration: tenants, collection, state_dir, sinks, health, log, then any --raw text.

  bench/lib/forwarder_config.py "$work/credentials.json" -o "$work/connector.yaml" \
      --state-dir "$work/state" --file-sink "$work/out/audit.ndjson" --max-size 64GiB \
      --collection "initial_lookback: 24h" --collection "max_concurrent_downloads: 16" \
      --health "127.0.0.1:0" --log-level warn

Per-tenant keys: --tenant "content_types: [Audit.Exchange]" adds a key to every tenant,
--tenant-for NAME "content_types: [...]" sets a key of one tenant (replacing the --tenant one).
--tenants-only prints only the tenants' list items (for scripts that write the rest themselves).
"""
import argparse
import json
import os
import sys


def key_value(text):
    key, sep, value = text.partition(":")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected 'key: value', got {text!r}")
    return key.strip(), value.strip()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("credentials", help="the simulator's --credentials-out file")
    p.add_argument("-o", "--out", help="the configuration file (default: standard output)")
    p.add_argument("--secrets-dir", help="where the secret files are written "
                   "(default: secrets/ beside the credentials file)")
    p.add_argument("--secret-path", help="the directory the configuration names for them "
                   "(default: --secrets-dir; differs when the forwarder runs in a container)")
    p.add_argument("--secret-mode", default="600", help="octal mode of the secret files")
    p.add_argument("--url", help="login_url and api_url (default: the credentials file's)")
    p.add_argument("--name", help="only the first tenant, under this name")
    p.add_argument("--tenant", action="append", default=[], type=key_value, metavar="'KEY: VALUE'")
    p.add_argument("--tenant-for", action="append", default=[], nargs=2,
                   metavar=("NAME", "'KEY: VALUE'"))
    p.add_argument("--tenants-only", action="store_true", help="print only the tenants' items")
    p.add_argument("--collection", action="append", default=[], metavar="'KEY: VALUE'",
                   help="a line of the collection: section (repeat)")
    p.add_argument("--state-dir")
    p.add_argument("--file-sink", metavar="PATH", help="one file sink writing PATH")
    p.add_argument("--max-size", help="the file sink's max_size")
    p.add_argument("--health", metavar="LISTEN", help="health.listen ('' turns it off)")
    p.add_argument("--log-level")
    p.add_argument("--raw", action="append", default=[], metavar="YAML",
                   help="top-level YAML appended as is (a sinks: or cluster: section)")
    return p.parse_args(argv)


def tenant_items(args):
    creds = json.load(open(args.credentials))
    tenants = creds["tenants"] if isinstance(creds, dict) else creds
    if args.name:
        tenants = [dict(tenants[0], name=args.name)]
    secrets_dir = args.secrets_dir or os.path.join(os.path.dirname(args.credentials) or ".",
                                                   "secrets")
    secret_path = args.secret_path or secrets_dir
    os.makedirs(secrets_dir, exist_ok=True)
    overrides = {}
    for name, text in args.tenant_for:
        key, value = key_value(text)
        overrides.setdefault(name, {})[key] = value
    lines = []
    for t in tenants:
        file_name = f"{t['name']}.secret"
        secret = os.path.join(secrets_dir, file_name)
        with open(secret, "w") as f:
            f.write(t["client_secret"] + "\n")
        os.chmod(secret, int(args.secret_mode, 8))
        keys = {"tenant_id": t["tenant_id"], "client_id": t["client_id"],
                "client_secret_file": os.path.join(secret_path, file_name),
                "login_url": args.url or creds.get("login_url"),
                "api_url": args.url or creds.get("api_url")}
        keys.update(dict(args.tenant))
        keys.update(overrides.get(t["name"], {}))
        lines.append(f"  - name: {t['name']}")
        lines += [f"    {k}: {v}" for k, v in keys.items()]
    return lines


def main(argv):
    args = parse_args(argv)
    lines = tenant_items(args)
    if not args.tenants_only:
        lines.insert(0, "tenants:")
        if args.collection:
            lines += ["collection:"] + ["  " + "%s: %s" % key_value(c) for c in args.collection]
        if args.state_dir:
            lines.append(f"state_dir: {args.state_dir}")
        if args.file_sink:
            lines += ["sinks:", "  - type: file", f"    path: {args.file_sink}"]
            if args.max_size:
                lines.append(f"    max_size: {args.max_size}")
        if args.health is not None:
            lines += ["health:", "  listen: " + (args.health or '""')]
        if args.log_level:
            lines += ["log:", f"  level: {args.log_level}"]
        lines += [raw.rstrip("\n") for raw in args.raw]
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
