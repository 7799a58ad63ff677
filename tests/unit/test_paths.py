import unicodedata

from plexsync_gui.core.sync.paths import PathRule, basename, map_path, normalise, same_file, unicode_forms


def test_longest_prefix_rule_wins():
    rules = [PathRule("/data/", "/media/"), PathRule("/data/movies/", "/films/")]
    assert map_path("/data/movies/a.mp4", rules) == "/films/a.mp4"
    assert map_path("/data/clips/b.mp4", rules) == "/media/clips/b.mp4"


def test_unmapped_path_is_unchanged():
    assert map_path("/other/c.mp4", [PathRule("/data/", "/media/")]) == "/other/c.mp4"


def test_prefix_matches_only_on_a_path_boundary():
    rules = [PathRule("/data", "/media")]
    assert map_path("/data/x.mp4", rules) == "/media/x.mp4"
    assert map_path("/database/x.mp4", rules) == "/database/x.mp4"


def test_windows_target_gets_backslashes():
    assert map_path("/data/a/b.mp4", [PathRule("/data/", "D:\\Media\\")]) == "D:\\Media\\a\\b.mp4"


def test_normalise_handles_separators_case_and_long_path_prefix_on_windows_paths():
    assert normalise("\\\\?\\D:\\Media\\A.mp4") == normalise("d:/media/a.MP4")
    assert same_file("D:\\Media\\A.mp4", "d:/media/a.mp4")


def test_posix_paths_stay_case_sensitive():
    assert not same_file("/media/A.mp4", "/media/a.mp4")


def test_basename_of_either_separator():
    assert basename("D:\\x\\y.mp4") == "y.mp4"
    assert basename("/x/y.mp4") == "y.mp4"


def test_unicode_forms_compare_equal_and_lookups_get_both():
    nfc = "/media/Café Noël.mp4"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd and same_file(nfc, nfd) and normalise(nfd) == nfc
    assert unicode_forms(nfc) == [nfc, nfd] and unicode_forms(nfd) == [nfd, nfc]
    assert unicode_forms("/media/plain.mp4") == ["/media/plain.mp4"]


def test_a_rule_in_one_form_maps_a_path_in_the_other():
    rule = PathRule(unicodedata.normalize("NFD", "/data/Vidéos"), "/media")
    assert map_path("/data/Vidéos/a.mp4", [rule]) == "/media/a.mp4"
