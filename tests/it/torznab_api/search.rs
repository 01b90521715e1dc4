//! Search semantics: text, ids, categories, seasons, own uploads.
use super::*;

#[tokio::test]
async fn search_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    library(&server, &alice.api_key).await;
    let k = &bob.api_key;
    let titles = |p: Page| -> Vec<String> { p.titles().iter().map(|s| s.to_string()).collect() };

    // Words: case, accents, punctuation and separators folded, any order, all required.
    for q in ["amelie", "AMÉLIE", "2160p.amelie", "amelie_2001", "Amélie!"] {
        let p = search(&server, k, &format!("t=search&q={q}")).await;
        assert_eq!(p.titles(), ["Amélie (2001) [WEBDL-2160p]-FR"], "{q}");
    }
    assert_eq!(
        search(&server, k, "t=search&q=redemption%20shawshank")
            .await
            .total,
        1
    );
    assert_eq!(
        search(&server, k, "t=search&q=shawshank%20amelie")
            .await
            .total,
        0
    );
    assert_eq!(search(&server, k, "t=search&q=bjork").await.total, 1);
    assert_eq!(search(&server, k, "t=search&q=breaking+bad").await.total, 4);

    // Categories: a parent matches its children; a child only itself.
    assert_eq!(search(&server, k, "t=search&cat=5000").await.total, 4);
    assert_eq!(search(&server, k, "t=search&cat=5030").await.total, 1);
    assert_eq!(search(&server, k, "t=search&cat=2000,3040").await.total, 3);
    assert_eq!(search(&server, k, "t=search&cat=2030").await.total, 0);

    // Ids, imdb with or without tt.
    for id in ["tt0111161", "0111161", "111161"] {
        let p = search(&server, k, &format!("t=movie&imdbid={id}")).await;
        assert_eq!(p.total, 1, "{id}");
    }
    assert_eq!(
        search(&server, k, "t=movie&tmdbid=194").await.items[0].title,
        "Amélie (2001) [WEBDL-2160p]-FR"
    );
    assert_eq!(search(&server, k, "t=tvsearch&tvdbid=81189").await.total, 4);
    assert_eq!(search(&server, k, "t=tvsearch&tmdbid=1396").await.total, 1);
    assert_eq!(
        search(&server, k, "t=tvsearch&imdbid=tt0903747")
            .await
            .total,
        1
    );
    assert_eq!(
        search(&server, k, "t=movie&imdbid=tt9999999").await.total,
        0
    );
    // Radarr sends every id it knows; one of them matching is enough.
    let p = search(
        &server,
        k,
        "t=movie&cat=2000&imdbid=tt0111161&tmdbid=999999",
    )
    .await;
    assert_eq!(p.total, 1);

    // Seasons: packs and episodes of the season; specials are season 00; ep narrows.
    let p = search(&server, k, "t=tvsearch&tvdbid=81189&season=1").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S01 [Bluray-1080p]"]);
    let p = search(&server, k, "t=tvsearch&tvdbid=81189&season=2").await;
    assert_eq!(
        titles(p),
        [
            "Breaking Bad (2008) - S02E02 [HDTV-720p]",
            "Breaking Bad (2008) - S02E01 [HDTV-720p]"
        ]
    );
    let p = search(&server, k, "t=tvsearch&tvdbid=81189&season=2&ep=1").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S02E01 [HDTV-720p]"]);
    let p = search(&server, k, "t=tvsearch&q=breaking%20bad&season=00").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S00E01 Special [SDTV]"]);
    let p = search(&server, k, "t=tvsearch&q=Breaking.Bad&season=2&ep=02").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S02E02 [HDTV-720p]"]);

    // Music by artist and album.
    let p = search(&server, k, "t=music&artist=daft%20punk").await;
    assert_eq!(
        p.titles(),
        ["Daft Punk - Random Access Memories (2013) [FLAC]"]
    );
    let p = search(&server, k, "t=music&artist=Bjork&album=homogenic").await;
    assert_eq!(p.total, 1);
    assert_eq!(
        search(&server, k, "t=music&artist=bjork&album=memories")
            .await
            .total,
        0
    );

    // Paging: total counts every match, offset/limit pick the page.
    let all = titles(search(&server, k, "t=search").await);
    let p = search(&server, k, "t=search&limit=3&offset=2").await;
    assert_eq!((p.offset, p.total), (2, 8));
    assert_eq!(titles(p), all[2..5]);
    let p = search(&server, k, "t=search&q=breaking&limit=2&offset=3").await;
    assert_eq!((p.total, p.items.len()), (4, 1));
    let p = search(&server, k, "t=search&offset=100").await;
    assert_eq!((p.total, p.items.len()), (8, 0));

    // The caller's own uploads: in the feed (an *arr app's Test on a fresh
    // server), in searches only on request.
    assert_eq!(search(&server, &alice.api_key, "t=search").await.total, 8);
    assert_eq!(search(&server, &alice.api_key, "t=movie").await.total, 2);
    assert_eq!(
        search(&server, &alice.api_key, "t=search&q=amelie")
            .await
            .total,
        0
    );
    assert_eq!(
        search(&server, &alice.api_key, "t=search&include_my_uploads=1")
            .await
            .total,
        8
    );
    assert_eq!(
        search(
            &server,
            &alice.api_key,
            "t=tvsearch&tvdbid=81189&include_my_uploads=1"
        )
        .await
        .total,
        4
    );
}
