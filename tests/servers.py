"""Real servers for tests: a private dovecot IMAP server, a private redis-server and a private PostgreSQL, each on a
free local port.

Use the fixtures (`from .servers import imap_server, redis_url  # noqa: F401` in a test module), or the context
managers `run_dovecot(folder)`, `run_redis(folder)` and `run_postgres()` directly.
"""
import contextlib
import glob
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from imapclient import IMAPClient

DOVECOT = "/usr/sbin/dovecot"
REDIS = "redis-server"
HOST = "127.0.0.1"
USERS = {"desk": "desk-secret", "other": "other-secret"}
START_TIMEOUT = 15
STOP_TIMEOUT = 5


class ServerError(RuntimeError):
    """A test server could not be found or started."""


def find_binary(name):
    """The path of the command `name`. :raises ServerError: when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise ServerError(f"{name} is not installed (`make system` installs it)")
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start(command, output):
    """Start `command` in a session of its own, its output going to the file `output`."""
    with output.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process):
    """Terminate `process` and everything it started, killing them if they outlast STOP_TIMEOUT."""
    if process.poll() is not None:
        return
    # Signalling the whole group stops dovecot's children at once, instead of its master terminating them and
    # then waiting about a second.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until(ready, process, name, *logs):
    """Poll `ready()` until it is true; raise ServerError with the logs if `process` exits or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                state = f"did not answer within {START_TIMEOUT}s"
            else:
                state = f"exited with status {process.returncode}"
            text = "\n".join(f"--- {log}\n{log.read_text(errors='replace')}" for log in logs if log.exists())
            raise ServerError(f"{name} {state}\n{text}")
        time.sleep(0.02)


@dataclass
class ImapServer:
    """Where a running test dovecot listens, and the mailbox user it serves."""

    host: str
    port: int
    folder: Path
    user: str = "desk"
    password: str = USERS["desk"]

    @property
    def url(self):
        """The mailbox URL, as the app's settings take it."""
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    def client(self, user=None):
        """An IMAPClient logged in as `user` (desk by default); the caller logs it out."""
        user = user or self.user
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, USERS[user])
        return client

    def append(self, raw_bytes, folder="INBOX", user=None):
        """Store the raw message `raw_bytes` in `folder` of `user`'s mailbox, creating the folder if needed."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw_bytes)
        finally:
            client.logout()


def mail_owner():
    """The account that dovecot reads and writes mail as: the current one, or nobody when that is root."""
    me = pwd.getpwuid(os.getuid())
    # Dovecot refuses to access mail as root ("userdb returned 0 as uid"), whatever first_valid_uid says.
    return pwd.getpwnam("nobody") if me.pw_uid == 0 else me


def dovecot_config(folder, base_dir, port):
    """A complete standalone dovecot 2.3 configuration for a private IMAP-only server living in `folder`."""
    me, owner = pwd.getpwuid(os.getuid()), mail_owner()
    if me.pw_uid == 0:
        # imap-login refuses to run as root, so it runs as Debian's dovenull in its default chroot (base_dir/login),
        # and mail is accessed as nobody chrooted into mail/: the chroots spare both users from having to pass
        # through private (0700) folders such as pytest's tmp_path.
        users = f"""\
default_login_user = dovenull
mail_chroot = {folder}/mail
mail_location = maildir:/%u
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home=/%u
}}"""
    else:
        # Unprivileged, dovecot can neither switch users nor chroot: every process runs as the current user.
        users = f"""\
default_login_user = {me.pw_name}
first_valid_uid = {me.pw_uid}
first_valid_gid = {me.pw_gid}
mail_location = maildir:{folder}/mail/%u
userdb {{
  driver = static
  args = uid={me.pw_uid} gid={me.pw_gid} home={folder}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}"""
    return f"""\
instance_name = test-dovecot-{port}
base_dir = {base_dir}
state_dir = {folder}/state
log_path = {folder}/dovecot.log

protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login

default_internal_user = {me.pw_name}
default_internal_group = {grp.getgrgid(me.pw_gid).gr_name}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
{users}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def greets(port):
    """Whether an IMAP server on `port` accepts a connection and sends its greeting."""
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


@contextlib.contextmanager
def run_dovecot(folder):
    """Run a private dovecot in the foreground, serving users desk and other over plain IMAP; yield an ImapServer."""
    binary = find_binary(DOVECOT)
    folder = Path(folder) / "dovecot"
    folder.mkdir(parents=True)
    (folder / "passwd").write_text("".join(f"{user}:{password}\n" for user, password in USERS.items()))
    owner = mail_owner()
    for path in [folder / "mail", *(folder / "mail" / user for user in USERS)]:
        # Each home must exist before its user's first login, which changes into it.
        path.mkdir()
        os.chown(path, owner.pw_uid, owner.pw_gid)
    # Unix socket paths are limited to 107 bytes, which sockets under pytest's folders can exceed (under xdist,
    # with a long test name), and dovecot resolves symlinks: so base_dir, which holds only the sockets and the pid
    # file, is a short private folder of its own, removed on exit. Everything else stays in `folder`.
    base_dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
    base_dir.chmod(0o755)  # as dovecot wants it, which it would otherwise fix with a warning
    port = free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(dovecot_config(folder, base_dir, port))
    try:
        process = start([binary, "-F", "-c", str(conf)], folder / "dovecot.out")
        try:
            logs = folder / "dovecot.out", folder / "dovecot.log"
            wait_until(lambda: greets(port), process, f"dovecot on port {port}", *logs)
            yield ImapServer(HOST, port, folder)
        finally:
            stop(process)
    finally:
        shutil.rmtree(base_dir)


@contextlib.contextmanager
def run_redis(folder):
    """Run a private redis-server without persistence; yield its URL, redis://127.0.0.1:<port>/0."""
    binary = find_binary(REDIS)
    folder = Path(folder) / "redis"
    folder.mkdir(parents=True)
    port = free_port()
    command = [binary, "--port", str(port), "--bind", HOST, "--dir", str(folder), "--save", "", "--appendonly", "no"]
    process = start([*command, "--daemonize", "no", "--protected-mode", "yes"], folder / "redis.out")
    try:
        client = redis.Redis(HOST, port, socket_connect_timeout=1, socket_timeout=1)

        def pings():
            """Whether the server answers PING."""
            try:
                return client.ping()
            except (redis.ConnectionError, redis.TimeoutError):
                return False

        wait_until(pings, process, f"redis-server on port {port}", folder / "redis.out")
        client.close()
        yield f"redis://{HOST}:{port}/0"
    finally:
        stop(process)


def postgres_binaries():
    """The folder of Debian's PostgreSQL server programs (the newest installed). :raises ServerError: when none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    if not found:
        raise ServerError("PostgreSQL is not installed (`make system` installs it)")
    return os.path.dirname(found[-1])


@contextlib.contextmanager
def run_postgres():
    """Run a private PostgreSQL (no fsync: a test server) in a temporary folder; yield its base URL,
    postgresql://postgres@127.0.0.1:<port>, whose `postgres` database can create more."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ServerError("psycopg is not installed (`make install` installs the postgres extra)")
    binaries = postgres_binaries()
    # PostgreSQL refuses to run as root: then it runs as Debian's postgres account, in a folder it owns (pytest's own
    # folders are private to root).
    user = "postgres" if os.getuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="desk-pg-"))
    if user:
        account = pwd.getpwnam(user)
        os.chown(folder, account.pw_uid, account.pw_gid)
    data, log, port = folder / "data", folder / "server.log", free_port()
    pg_ctl = os.path.join(binaries, "pg_ctl")
    try:
        try:
            subprocess.run([os.path.join(binaries, "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                            "--no-sync"], user=user, check=True, capture_output=True, timeout=120)
            options = f"-p {port} -k {folder} -c listen_addresses={HOST} -c fsync=off -c full_page_writes=off"
            subprocess.run([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", str(START_TIMEOUT * 2),
                            "start"], user=user, check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as error:
            output = (error.stderr or b"").decode(errors="replace")
            text = log.read_text(errors="replace") if log.exists() else ""
            raise ServerError(f"PostgreSQL on port {port} did not start\n{output}\n{text}")
        try:
            yield f"postgresql://postgres@{HOST}:{port}"
        finally:
            subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], user=user, capture_output=True,
                           timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def failing_clearly():
    """Turn a ServerError into a test failure that shows its message alone."""
    try:
        yield
    except ServerError as error:
        # pytest.fail() would chain the ServerError, repeating the message under "During handling ...".
        raise pytest.fail.Exception(str(error), pytrace=False) from None


@pytest.fixture
def imap_server(tmp_path):
    """A fresh dovecot for this test; see ImapServer for what it offers."""
    with failing_clearly(), run_dovecot(tmp_path) as server:
        yield server


@pytest.fixture
def redis_url(tmp_path):
    """The URL of a fresh, empty redis-server for this test."""
    with failing_clearly(), run_redis(tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def postgres_url():
    """The base URL of a private PostgreSQL shared by a test module; each test creates a database of its own."""
    with failing_clearly(), run_postgres() as url:
        yield url
