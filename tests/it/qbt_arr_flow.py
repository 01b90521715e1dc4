"""Drives the client's qBittorrent API with the `qbittorrent-api` library,
in the order Radarr/Sonarr make their calls. Used by tests/it/qbittorrent/.

usage: qbt_arr_flow.py HOST PORT USER PASSWORD TORRENT CATEGORY INFOHASH
Prints one JSON line of what it saw once the download finished, then waits
for a line on stdin (the test serves the download to a leecher meanwhile)
before deleting it, then prints one JSON line of all it saw; exits non-zero
on any failed check.
"""
import hashlib
import json
import sys
import time

import qbittorrentapi

DEADLINE = time.monotonic() + 180


def main():
    host, port, user, password, torrent_path, category, infohash = sys.argv[1:8]
    qbt = qbittorrentapi.Client(host=host, port=int(port), username=user, password=password,
                                VERIFY_WEBUI_CERTIFICATE=False, REQUESTS_ARGS={"timeout": 60})
    seen = {}
    # Radarr's Test(): login, API version, preferences, categories.
    qbt.auth_log_in()
    seen["webapi"] = qbt.app.web_api_version
    seen["version"] = qbt.app.version
    prefs = qbt.app.preferences
    seen["prefs"] = {k: prefs[k] for k in ("save_path", "max_ratio_enabled", "max_ratio",
                                           "max_seeding_time_enabled", "max_seeding_time",
                                           "max_ratio_act", "queueing_enabled", "dht")}
    if category not in qbt.torrents_categories():
        qbt.torrents_create_category(name=category)
    seen["categories"] = sorted(qbt.torrents_categories().keys())
    # Download(): add the .torrent from the indexer, stopped=False, the category.
    with open(torrent_path, "rb") as f:
        body = f.read()
    answer = qbt.torrents_add(torrent_files=body, category=category, is_stopped=False)
    seen["add"] = answer
    # Visible at once, as the apps check right after adding.
    listed = qbt.torrents_info(category=category)
    seen["listed_at_once"] = [t.hash for t in listed]
    props = qbt.torrents_properties(torrent_hash=infohash.upper())
    seen["props_save_path"] = props.save_path
    # GetItems(): poll info (+ properties, files) until done.
    while True:
        t = qbt.torrents_info(category=category, torrent_hashes=infohash)[0]
        if t.progress >= 1.0 and t.state in ("uploading", "stalledUP", "stoppedUP"):
            break
        if time.monotonic() > DEADLINE:
            sys.exit(f"download did not finish: {dict(t)}")
        time.sleep(0.25)
    seen["done"] = {k: t[k] for k in ("hash", "name", "state", "progress", "size", "save_path",
                                      "content_path", "category", "eta", "amount_left",
                                      "private", "ratio", "downloaded")}
    files = qbt.torrents_files(torrent_hash=infohash)
    seen["files"] = [(f.name, f.size, f.progress) for f in files]
    seen["trackers"] = [tr.url.split("/announce/")[0] for tr in qbt.torrents_trackers(torrent_hash=infohash)
                        if "/announce/" in tr.url]
    with open(t.content_path, "rb") as f:
        seen["sha1"] = hashlib.sha1(f.read()).hexdigest()
    print(json.dumps(seen), flush=True)
    sys.stdin.readline()
    # RemoveItem(deleteData=true) once the app imported it.
    qbt.torrents_delete(delete_files=True, torrent_hashes=infohash)
    seen["after_delete"] = [x.hash for x in qbt.torrents_info()
                            if x.category != "privateindexer"]
    qbt.auth_log_out()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
