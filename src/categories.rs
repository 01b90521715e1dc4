//! The standard Newznab/Torznab categories this swarm carries (movies, TV, music),
//! with the ids and names Prowlarr and the *arr apps know.

pub struct Category {
    pub id: u32,
    pub name: &'static str,
}

const fn c(id: u32, name: &'static str) -> Category {
    Category { id, name }
}

/// Parents first, each followed by its subcategories.
pub const ALL: &[Category] = &[
    c(2000, "Movies"),
    c(2010, "Movies/Foreign"),
    c(2020, "Movies/Other"),
    c(2030, "Movies/SD"),
    c(2040, "Movies/HD"),
    c(2045, "Movies/UHD"),
    c(2050, "Movies/BluRay"),
    c(2060, "Movies/3D"),
    c(2070, "Movies/DVD"),
    c(2080, "Movies/WEB-DL"),
    c(3000, "Audio"),
    c(3010, "Audio/MP3"),
    c(3020, "Audio/Video"),
    c(3030, "Audio/Audiobook"),
    c(3040, "Audio/Lossless"),
    c(3050, "Audio/Other"),
    c(3060, "Audio/Foreign"),
    c(5000, "TV"),
    c(5010, "TV/WEB-DL"),
    c(5020, "TV/Foreign"),
    c(5030, "TV/SD"),
    c(5040, "TV/HD"),
    c(5045, "TV/UHD"),
    c(5050, "TV/Other"),
    c(5060, "TV/Sport"),
    c(5070, "TV/Anime"),
    c(5080, "TV/Documentary"),
];

/// The parent of a category id (2040 → 2000); a parent is its own parent.
pub fn parent(id: u32) -> u32 {
    id - id % 1000
}

pub fn is_parent(id: u32) -> bool {
    id.is_multiple_of(1000)
}

pub fn find(id: u32) -> Option<&'static Category> {
    ALL.iter().find(|c| c.id == id)
}

pub fn subcategories(parent_id: u32) -> impl Iterator<Item = &'static Category> {
    ALL.iter()
        .filter(move |c| !is_parent(c.id) && parent(c.id) == parent_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_children() {
        assert_eq!(parent(2045), 2000);
        assert_eq!(find(5040).unwrap().name, "TV/HD");
        assert!(find(4000).is_none());
        assert_eq!(subcategories(3000).count(), 6);
    }
}
