//! Radarr v3: movies with their embedded movie file.

use super::models::{self, MovieModel};
use super::{ArrError, ArrHttp, Movie};

pub async fn read(http: &ArrHttp) -> Result<Vec<Movie>, ArrError> {
    // `/movie` embeds `movieFile` for every movie that has one: one request for
    // the whole library (Radarr does not page this endpoint).
    let movies: Vec<MovieModel> = http.get("/movie", &[]).await?;
    Ok(movies
        .into_iter()
        .filter_map(|m| {
            Some(Movie {
                id: m.id?,
                title: models::text(m.title),
                year: models::year(m.year),
                imdb_id: m.imdb_id.filter(|s| !s.trim().is_empty()),
                tmdb_id: models::id(m.tmdb_id),
                file: if m.has_file == Some(false) {
                    None
                } else {
                    m.movie_file.and_then(|f| f.into_media_file())
                },
            })
        })
        .collect())
}
