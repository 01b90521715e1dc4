"""A real libtorrent leecher downloads one torrent from whoever the tracker
names. Used by tests/it/seeder_peers/.

usage: seeder_leech.py TORRENT SAVE_DIR [MISSING]
Waits until the leecher holds every piece but MISSING (default 0), then prints
one JSON line: pieces held, total pieces, payload downloaded, failed bytes and
hash failures (both must stay 0 with an honest seeder), seconds taken and
the CPU seconds this process used (benches/seeder.rs reports them).
benches/seeder.rs times uploads with it too.
"""
import json
import os
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_session import session  # noqa: E402

# A hang guard, not a timing assertion; benches/seeder.rs raises it for 1 GiB.
DEADLINE = time.monotonic() + float(os.environ.get("LEECH_DEADLINE", "150"))


def main():
    torrent, save_dir = sys.argv[1:3]
    missing = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    s = session()
    # TCP only: libtorrent dials uTP first otherwise, and its uTP stays near
    # 6 MiB/s on loopback (our seeder speaks TCP only; benches/lt_seed.py).
    s.apply_settings({"enable_outgoing_utp": False, "enable_incoming_utp": False})
    ti = lt.torrent_info(torrent)
    started = time.monotonic()
    h = s.add_torrent({"ti": ti, "save_path": save_dir})
    hash_fails = 0
    while True:
        for a in s.pop_alerts():
            kind = type(a).__name__
            if kind == "hash_failed_alert":
                hash_fails += 1
            if kind in ("tracker_error_alert", "tracker_reply_alert", "peer_disconnected_alert",
                        "hash_failed_alert", "torrent_finished_alert"):
                print(f"[leech] {kind}: {a.message()}", file=sys.stderr)
        st = h.status()
        if st.num_pieces >= ti.num_pieces() - missing:
            break
        if time.monotonic() > DEADLINE:
            sys.exit(f"timed out: {st.num_pieces}/{ti.num_pieces()} pieces, "
                     f"{st.total_payload_download} bytes")
        time.sleep(0.05)
    st = h.status()
    print(json.dumps({
        "pieces": st.num_pieces,
        "total": ti.num_pieces(),
        "downloaded": st.total_payload_download,
        "failed_bytes": st.total_failed_bytes,
        "hash_fails": hash_fails,
        "seconds": time.monotonic() - started,
        "cpu_seconds": sum(os.times()[:2]),
    }))


if __name__ == "__main__":
    main()
