"""``isoloir election ...``: what organizers run to build, sign and check election packages."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from kiosk.cli.common import CliError, Secret, existing_path, read_passphrase
from kiosk.clock import SystemClock
from kiosk.election import package, signing, source
from kiosk.election.kdf import KdfProfile
from kiosk.election.model import ElectionPackage
from kiosk.encoding import EncodingError, b64decode, b64encode


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = groups.add_parser("election", help="build, sign and verify election packages")
    commands = group.add_subparsers(dest="command", required=True, metavar="ACTION")

    keygen = commands.add_parser("keygen", help="create the organizer's Ed25519 signing key")
    keygen.add_argument("key", type=Path, help="where to write the private key (PEM)")
    keygen.add_argument("--encrypt", action="store_true", help="protect it with a passphrase")
    keygen.set_defaults(run=_keygen)

    new = commands.add_parser("new", help="build an unsigned package from a TOML + CSV description")
    new.add_argument("spec", type=existing_path, help="the election description (TOML)")
    new.add_argument("--roll", type=existing_path, help="the voter roll CSV (default: [roll] csv)")
    new.add_argument("--out", type=Path, required=True, help="the package folder to create")
    new.set_defaults(run=_new)

    sign = commands.add_parser("sign", help="sign a package folder with the organizer key")
    sign.add_argument("package", type=existing_path)
    sign.add_argument("--key", type=existing_path, required=True, help="organizer private key")
    sign.add_argument("--encrypted-key", action="store_true", help="the key file has a passphrase")
    sign.set_defaults(run=_sign)

    seal = commands.add_parser(
        "seal", help="put the key ceremony's joint key into a package and sign it again"
    )
    seal.add_argument("package", type=existing_path, help="the signed package (folder or .zip)")
    seal.add_argument("--ceremony", type=existing_path, required=True, help="ceremony folder")
    seal.add_argument("--key", type=existing_path, required=True, help="organizer private key")
    seal.add_argument("--encrypted-key", action="store_true", help="the key file has a passphrase")
    seal.add_argument("--out", type=Path, help="write the sealed package here (default: in place)")
    seal.set_defaults(run=_seal)

    verify = commands.add_parser("verify", help="check a package and print its fingerprint")
    verify.add_argument("package", type=Path, help="a package folder or .zip")
    verify.add_argument("--organizer-key", help="expected organizer public key (base64)")
    verify.set_defaults(run=_verify)

    demo = commands.add_parser("demo", help="build the demo election (3 scrutins, 1,000 voters)")
    demo.add_argument("out", type=Path, help="the package to create (folder, or .zip)")
    demo.add_argument("--secrets", type=Path, help="demo secrets folder (default: OUT-secrets)")
    demo.add_argument("--voters", type=int, default=1000)
    demo.add_argument("--kdf", choices=[p.name.lower() for p in KdfProfile], default="demo")
    demo.add_argument("--seed", type=int, default=2026)
    demo.set_defaults(run=_demo)


def _keygen(args: argparse.Namespace) -> int:
    passphrase = (
        read_passphrase(Secret.ORGANIZER_KEY, "Passphrase for the new key: ", confirm=True)
        if args.encrypt
        else None
    )
    key = signing.generate()
    try:
        signing.save_private_key(key, args.key, passphrase.encode() if passphrase else None)
    except signing.KeyFileError as exc:
        raise CliError(str(exc)) from None
    print(f"Organizer key written to {args.key} (keep it offline).")
    print(f"Public key (put it in the [organizer] table): {b64encode(signing.public_bytes(key))}")
    return 0


def _new(args: argparse.Namespace) -> int:
    try:
        draft = source.build_draft(args.spec, args.roll)
        package.write_draft(draft, args.out)
    except (source.SourceError, package.PackageError) as exc:
        raise CliError(str(exc)) from None
    manifest = draft.manifest
    print(
        f"Unsigned package written to {args.out}: {manifest.voter_count} voters, "
        f"{len(manifest.scrutins)} scrutins, {len(draft.files)} files."
    )
    print(f"Next: isoloir election sign {args.out} --key ORGANIZER.key")
    return 0


def _sign(args: argparse.Namespace) -> int:
    passphrase = (
        read_passphrase(Secret.ORGANIZER_KEY, "Key passphrase: ") if args.encrypted_key else None
    )
    try:
        key = signing.load_private_key(args.key, passphrase.encode() if passphrase else None)
        signed = package.sign_folder(args.package, key)
    except (signing.KeyFileError, package.PackageError) as exc:
        raise CliError(str(exc)) from None
    print(f"Signed {args.package}")
    print(f"Fingerprint: {signed.fingerprint}")
    return 0


def _seal(args: argparse.Namespace) -> int:
    from kiosk.trustee import ceremony  # the trustee modules load only for this command

    try:
        unsealed = package.load(args.package)
    except package.PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    try:
        result = ceremony.ceremony_result(args.ceremony)
    except ceremony.CeremonyError as exc:
        raise CliError(f"ceremony refused: {exc}") from None
    passphrase = (
        read_passphrase(Secret.ORGANIZER_KEY, "Key passphrase: ") if args.encrypted_key else None
    )
    try:
        key = signing.load_private_key(args.key, passphrase.encode() if passphrase else None)
        sealed = ceremony.seal(unsealed, result, key)
    except (signing.KeyFileError, ceremony.CeremonyError) as exc:
        raise CliError(str(exc)) from None
    if sealed is unsealed:
        print(f"{args.package} is sealed already with this ceremony's key; nothing to do.")
    else:
        try:
            _write_package(sealed, args.out or args.package, in_place=args.out is None)
        except (package.PackageError, OSError) as exc:
            raise CliError(f"cannot write the sealed package: {exc}") from None
        print(f"Sealed package written to {args.out or args.package}")
    print(
        f"Election key: {b64encode(result.joint_public_key)} "
        f"({result.threshold} of {len(result.trustee_ids)} trustees)"
    )
    print("Trustees (compare each fingerprint with the one the trustee announced):")
    for index, (tid, fp) in enumerate(zip(result.trustee_ids, result.fingerprints, strict=True)):
        print(f"  #{index + 1} {tid:<20} {fp}")
    print(f"Fingerprint: {sealed.fingerprint}  (publish it; kiosks and reports show it)")
    return 0


def _write_package(sealed: ElectionPackage, destination: Path, *, in_place: bool) -> None:
    """Write ``sealed``; in place, the old package is swapped out only once the new is whole."""
    if not in_place:
        package.write(sealed, destination)
        return
    fresh = destination.with_name(f".{destination.stem}.sealing{destination.suffix}")
    if fresh.exists():
        shutil.rmtree(fresh) if fresh.is_dir() else fresh.unlink()
    package.write(sealed, fresh)
    if destination.is_dir():
        old = destination.with_name(f".{destination.name}.unsealed")
        if old.exists():
            shutil.rmtree(old)
        os.replace(destination, old)
        os.replace(fresh, destination)
        shutil.rmtree(old)
    else:
        os.replace(fresh, destination)


def _verify(args: argparse.Namespace) -> int:
    expected = None
    if args.organizer_key:
        try:
            expected = b64decode(args.organizer_key, "--organizer-key", length=32)
        except EncodingError as exc:
            raise CliError(str(exc), exit_code=2) from None
    try:
        loaded = package.load(args.package, expected_organizer_key=expected)
    except package.PackageError as exc:
        raise CliError(f"package refused: {exc}") from None
    print_summary(loaded)
    print("Package verified: signature, schema, every asset hash and the roll are valid.")
    return 0


def print_summary(loaded: ElectionPackage) -> None:
    manifest = loaded.manifest
    print(f"Election:    {manifest.election_id} — {manifest.title}")
    print(f"Organizer:   {manifest.organizer.name}")
    print(f"Fingerprint: {loaded.fingerprint}")
    tz = manifest.time_zone
    print(
        f"Voting:      {manifest.window.opens_at.isoformat()} to "
        f"{manifest.window.closes_at.isoformat()} ({tz})"
    )
    for scrutin in manifest.scrutins:
        eligible = sum(1 for v in loaded.roll if scrutin.id in v.scrutins)
        print(
            f"  - {scrutin.id}: {scrutin.title} — {len(scrutin.lists)} lists + blank, "
            f"{scrutin.seats} seats, {eligible} voters"
        )
    invalidated = sum(1 for v in loaded.roll if v.vote_code is None)
    print(
        f"Voters:      {len(loaded.roll)} ({invalidated} must use the réassort); "
        f"KDF scrypt N=2^{manifest.kdf.log2_n} r={manifest.kdf.r} p={manifest.kdf.p}"
    )
    print(f"Kiosks:      {', '.join(k.id for k in manifest.kiosks) or 'none'}")
    server = manifest.server
    if server is None:
        print("Server:      none (offline election: ballots travel on removable media)")
    else:
        pin = server.tls_certificate_sha256
        print(f"Server:      {server.url}")
        print(
            "TLS pin:     "
            + ("none (plain http:// on loopback)" if pin is None else pin.hex(":").upper())
        )
    key = manifest.election_key
    print(
        "Election key: "
        + (
            "not sealed yet (key ceremony pending)"
            if key is None
            else f"sealed, {key.threshold} of {len(key.trustees)} trustees"
        )
    )


def _demo(args: argparse.Namespace) -> int:
    from kiosk.election import demo  # reportlab and Pillow load only for this command

    if args.voters < 1:
        raise CliError("--voters must be at least 1", exit_code=2)
    secrets_dir = args.secrets or args.out.with_name(
        args.out.name.removesuffix(".zip") + "-secrets"
    )
    if args.out.exists():
        raise CliError(f"{args.out}: exists already; choose a new name")
    built = demo.build_demo(
        now=SystemClock().now(),
        voters=args.voters,
        kdf=KdfProfile[args.kdf.upper()].value,
        seed=args.seed,
    )
    try:
        demo.write_demo(built, args.out, secrets_dir)
    except (package.PackageError, signing.KeyFileError, OSError) as exc:
        raise CliError(f"cannot write the demo: {exc}") from None
    print(f"Demo package written to {args.out}")
    print(f"Demo secrets (credentials, organizer and kiosk keys) in {secrets_dir}")
    print_summary(built.package)
    return 0
