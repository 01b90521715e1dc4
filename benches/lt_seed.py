"""The reference seeder of benches/seeder.rs: python3-libtorrent seeding one
torrent from SAVE_DIR through its tracker until killed.

usage: lt_seed.py TORRENT SAVE_DIR
Prints "seeding" on stdout once the data is checked and the tracker answered.
On SIGTERM it removes the torrent (libtorrent announces `stopped`) and exits,
so the tracker stops naming it before the bench's next round.

Tuned to what libtorrent does at its best here: its high_performance_seed
settings pack (send buffer watermarks 3 MiB / 1 MiB, more queued disk bytes,
no unchoke slot limit, suggest mode) and TCP only. uTP is the cause of the
6 MiB/s of the first runs: libtorrent 2.0 dials uTP first and its uTP stays
near 6 MiB/s on loopback, where TCP gives 250 MiB/s (measured 2026-12-02 with
two sessions and connect_peer, 1 GiB); our seeder speaks TCP only, so the
leecher uses TCP with both.
"""
import os
import signal
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "it"))
from lt_session import session  # noqa: E402


def main():
    torrent, save_dir = sys.argv[1:3]
    s = session()
    tuned = lt.high_performance_seed()
    tuned.update({"enable_outgoing_utp": False, "enable_incoming_utp": False})
    s.apply_settings(tuned)
    h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save_dir})
    replied = False
    told = False
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while not stop:
        for a in s.pop_alerts():
            if type(a).__name__ == "tracker_reply_alert":
                replied = True
        if not told and replied and h.status().is_seeding:
            print("seeding", flush=True)
            told = True
        time.sleep(0.05)
    # The removal announces `stopped`; the session's end waits for it
    # (libtorrent's stop_tracker_timeout).
    s.remove_torrent(h)
    del s


if __name__ == "__main__":
    main()
