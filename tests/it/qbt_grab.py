"""Hands grabs to the client's qBittorrent API with the `qbittorrent-api`
library as Radarr/Sonarr do (category made if missing, the .torrent from the
indexer added running), then follows them until every one has finished.
Used by tests/it/qbittorrent/.

usage: qbt_grab.py HOST PORT USER PASSWORD CATEGORY=TORRENT...
Prints one JSON line: the `torrents/info` entry of each grab once finished,
with the states it went through; exits non-zero if one does not finish.
"""
import json
import os
import sys
import time

import qbittorrentapi

# A hang guard, not a timing assertion.
DEADLINE = time.monotonic() + float(os.environ.get("GRAB_DEADLINE", "240"))
DONE = ("uploading", "stalledUP", "stoppedUP")


def main():
    host, port, user, password = sys.argv[1:5]
    grabs = [a.split("=", 1) for a in sys.argv[5:]]
    qbt = qbittorrentapi.Client(host=host, port=int(port), username=user, password=password,
                                REQUESTS_ARGS={"timeout": 60})
    qbt.auth_log_in()
    hashes = []
    for category, path in grabs:
        if category not in qbt.torrents_categories():
            qbt.torrents_create_category(name=category)
        with open(path, "rb") as f:
            answer = qbt.torrents_add(torrent_files=f.read(), category=category, is_stopped=False)
        if answer != "Ok.":
            sys.exit(f"add of {path} answered {answer!r}")
        # The new torrent is the one of this category not seen before.
        new = [t.hash for t in qbt.torrents_info(category=category) if t.hash not in hashes]
        if len(new) != 1:
            sys.exit(f"add of {path}: not listed at once ({new})")
        hashes.append(new[0])
    states = {h: [] for h in hashes}
    while True:
        info = {t.hash: t for t in qbt.torrents_info(torrent_hashes="|".join(hashes))}
        for h, t in info.items():
            if not states[h] or states[h][-1] != t.state:
                states[h].append(t.state)
        if len(info) == len(hashes) and all(t.progress >= 1.0 and t.state in DONE
                                            for t in info.values()):
            break
        if time.monotonic() > DEADLINE:
            sys.exit(f"not finished: {[dict(t) for t in info.values()]}")
        time.sleep(0.25)
    out = []
    for h in hashes:
        t = dict(info[h])
        t["states_seen"] = states[h]
        t["files"] = [f.name for f in qbt.torrents_files(torrent_hash=h)]
        out.append(t)
    qbt.auth_log_out()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
