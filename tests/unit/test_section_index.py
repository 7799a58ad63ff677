"""The section index answers only what the `file=` lookup would answer with a single candidate."""

from plexsync_gui.core.plex.client import SectionInfo
from plexsync_gui.core.plex.index import SectionIndex

MOVIES = SectionInfo(1, "Movies", "movie", ("/media/movies",))
OTHER = SectionInfo(2, "Other", "movie", ("/media/other",))


def index(*entries: tuple[SectionInfo, str, str]) -> SectionIndex:
    built = SectionIndex([MOVIES, OTHER], built_at=0.0)
    for section, rating_key, file in entries:
        built.add(section.key, rating_key, file)
    return built


def test_exact_path_wins_over_a_same_named_file():
    built = index((MOVIES, "1", "/media/movies/a/clip.mp4"), (MOVIES, "2", "/media/movies/b/clip.mp4"))
    assert built.match("/media/movies/b/clip.mp4") == ("2", True)


def test_basename_fallback_only_when_it_is_the_one_item_with_that_name():
    built = index((MOVIES, "1", "/media/movies/moved/clip.mp4"))
    assert built.match("/media/movies/clip.mp4") == ("1", False)
    built.add(MOVIES.key, "2", "/media/movies/copy/clip.mp4")
    assert built.match("/media/movies/clip.mp4") is None


def test_two_items_with_the_path_are_no_answer_but_one_item_with_two_parts_is():
    built = index((MOVIES, "1", "/media/movies/dup.mp4"), (MOVIES, "2", "/media/movies/dup.mp4"))
    assert built.match("/media/movies/dup.mp4") is None
    built.add(MOVIES.key, "3", "/media/movies/two-parts.mp4")
    built.add(MOVIES.key, "3", "/media/movies/two-parts.mp4")
    assert built.match("/media/movies/two-parts.mp4") == ("3", True)


def test_unicode_forms_and_windows_case_compare_as_the_lookup_does():
    built = index((MOVIES, "1", "/media/movies/Cafe\u0301.mp4"), (MOVIES, "2", "C:\\Media\\Movies\\Clip.MP4"))
    assert built.match("/media/movies/Caf\u00e9.mp4") == ("1", True)
    assert built.match("c:/media/movies/clip.mp4") == ("2", True)


def test_only_the_sections_holding_the_path_are_searched():
    built = index((OTHER, "9", "/media/movies/clip.mp4"))
    assert built.match("/media/movies/clip.mp4") is None  # the lookup would only ask Movies
    assert built.match("/elsewhere/clip.mp4") == ("9", False)  # no section holds it: all are asked, by name
