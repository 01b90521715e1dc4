"""A libtorrent leecher whose client name is hostile HTML, slowed so that it
stays connected: the dashboard tests look for it in a torrent's peers table
(libtorrent sends `handshake_client_version` as `v` in its BEP 10 handshake).

usage: dash_peer.py TORRENT SAVE_DIR SEED_PORT
Connects straight to the seeder (the torrent's tracker is left out, so the
tracker's counts are the seeder's alone), prints "connected" once the seeder
is a peer, and runs until its stdin closes.
"""
import os
import sys
import threading
import time

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_session import session  # noqa: E402

NAME = "<script>alert(1)</script>"
# A hang guard, not a timing assertion.
DEADLINE = time.monotonic() + 300


def main():
    torrent, save_dir, port = sys.argv[1:4]
    s = session()
    s.apply_settings({
        "user_agent": NAME,
        "handshake_client_version": NAME,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
    })
    # Loopback peers are in libtorrent's "local" class, which the session's
    # rate limit leaves out: slow that class instead.
    local = s.get_peer_class(lt.session.local_peer_class_id)
    local["download_limit"] = 4096
    s.set_peer_class(lt.session.local_peer_class_id, local)
    meta = lt.bdecode(open(torrent, "rb").read())
    meta.pop(b"announce", None)
    meta.pop(b"announce-list", None)
    h = s.add_torrent({"ti": lt.torrent_info(meta), "save_path": save_dir})
    h.connect_peer(("127.0.0.1", int(port)))
    closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    said = False
    while not closed.is_set() and time.monotonic() < DEADLINE:
        for a in s.pop_alerts():
            if type(a).__name__ in ("peer_disconnected_alert", "peer_error_alert"):
                print(f"[dash_peer] {a.message()}", file=sys.stderr)
        if not said and h.status().num_peers > 0:
            print("connected", flush=True)
            said = True
        time.sleep(0.2)


if __name__ == "__main__":
    main()
