"""The fixed GraphQL documents PlexSync sends to Stash.

Fixed documents (rather than a generated client) keep every request predictable and auditable, and let the
emulated Stash serve exactly these operations. See docs/stash-protocol.md §3 and §5.
"""

from __future__ import annotations

from dataclasses import dataclass

# Stash v0.27+ has `groups`; v0.24-v0.26 only the deprecated `movies`. The choice is made by a schema probe.
_SCENE_FIELDS = """
  id title code details director date rating100 organized urls created_at updated_at
  studio { id name parent_studio { id name } }
  performers { id name disambiguation gender image_path }
  tags { id name }
  {groups}
  files { id path basename size duration width height }
  paths { screenshot }
"""
_GROUPS_MODERN = "groups { scene_index group { id name } }"
_GROUPS_LEGACY = "movies { scene_index movie { id name } }"


def scene_fragment(has_groups: bool) -> str:
    """The `PlexScene` fragment for a server with (v0.27+) or without the `groups` field."""
    fields = _SCENE_FIELDS.replace("{groups}", _GROUPS_MODERN if has_groups else _GROUPS_LEGACY)
    return "fragment PlexScene on Scene {" + fields + "}\n"


PROBE = """
query Probe {
  version { version hash build_time }
  systemStatus { status appSchema databaseSchema }
}
"""

SCHEMA_PROBE = """
query SchemaProbe {
  scene: __type(name: "Scene") { fields(includeDeprecated: true) { name isDeprecated } }
  query: __type(name: "Query") { fields { name args { name } } }
}
"""

# The light poll: ~60 bytes per scene. Variables: scene_filter.updated_at {value, modifier: GREATER_THAN},
# filter {page: 1, per_page: -1, sort: "updated_at", direction: "ASC"}.
CHANGED_SCENE_IDS = """
query ChangedSceneIds($scene_filter: SceneFilterType!, $filter: FindFilterType!) {
  findScenes(scene_filter: $scene_filter, filter: $filter) { count scenes { id updated_at } }
}
"""

# A sample of scene file paths for the settings' path detection: the newest scenes (per_page 50), paths only.
SCENE_FILE_PATHS = """
query SceneFilePaths($filter: FindFilterType!) {
  findScenes(filter: $filter) { scenes { files { path } } }
}
"""

# Every scene's id, title and file paths, a page at a time: the coverage report's listing (core/coverage), ~150 bytes
# per scene, never the full fragment. Variables: filter {page, per_page, sort: "id", direction: "ASC"}.
SCENE_PATHS_PAGE = """
query ScenePathsPage($filter: FindFilterType!) {
  findScenes(filter: $filter) { count scenes { id title files { path } } }
}
"""

# The same listing with what the sync rules that leave scenes out read (`rules.only_organized`, `rules.require_tag`):
# asked only while such a rule is on, so the usual listing stays light.
SCENE_PATHS_RULES_PAGE = """
query ScenePathsRulesPage($filter: FindFilterType!) {
  findScenes(filter: $filter) { count scenes { id title organized tags { name } files { path } } }
}
"""

# Every scene id; also used (per_page 1, sort updated_at DESC) to read the newest server timestamp.
ALL_SCENE_IDS = """
query AllSceneIds($filter: FindFilterType!) {
  findScenes(filter: $filter) { count scenes { id updated_at } }
}
"""


# Scenes that use any of some related entities; the same light rows as the poll. Variables: scene_filter
# {<kind's scene filter>: {value: [ids], modifier: INCLUDES(, depth: 0)}}, filter {page: 1, per_page: -1}.
SCENES_USING = """
query ScenesUsing($scene_filter: SceneFilterType!, $filter: FindFilterType!) {
  findScenes(scene_filter: $scene_filter, filter: $filter) { count scenes { id updated_at } }
}
"""


@dataclass(frozen=True)
class EntityKind:
    """A related entity whose name reaches Plex but whose edits do not bump the scenes using it (§3, §4)."""

    name: str  # "tag": the store's and the log's word
    root: str  # the listing query, `findTags`
    filter_argument: str  # its filter argument, `tag_filter` (a TagFilterType)
    results: str  # the list in its answer, `tags`
    scene_filter: str  # the SceneFilterType criterion on scenes using it, `tags`
    hierarchical: bool  # a HierarchicalMultiCriterionInput (takes `depth`) rather than a MultiCriterionInput

    @property
    def changed_document(self) -> str:
        """`{id name updated_at}` of the entities matching a filter (an `updated_at` criterion, or none)."""
        type_name = self.filter_argument.replace("_filter", "").capitalize() + "FilterType"
        return (
            f"query {self.operation}($entity_filter: {type_name}, $filter: FindFilterType!) {{\n"
            f"  {self.root}({self.filter_argument}: $entity_filter, filter: $filter) "
            f"{{ count {self.results} {{ id name updated_at }} }}\n}}\n"
        )

    @property
    def operation(self) -> str:
        return "Changed" + self.results.capitalize()


ENTITY_KINDS = (
    EntityKind("tag", "findTags", "tag_filter", "tags", "tags", hierarchical=True),
    EntityKind("performer", "findPerformers", "performer_filter", "performers", "performers", hierarchical=False),
    EntityKind("studio", "findStudios", "studio_filter", "studios", "studios", hierarchical=True),
)
# Group names become Plex collections (fields.groups). Stash v0.27+ has groups (nestable, so the scene filter is
# hierarchical); older servers only movies. The schema probe picks one (StashClient.entity_kinds).
GROUP_KIND = EntityKind("group", "findGroups", "group_filter", "groups", "groups", hierarchical=True)
LEGACY_GROUP_KIND = EntityKind("group", "findMovies", "movie_filter", "movies", "movies", hierarchical=False)


def find_scenes_by_ids(has_groups: bool, ids_argument: str) -> str:
    """Batch fetch by ids; `ids_argument` is `ids` (v0.25+, [ID!]) or the older `scene_ids` ([Int!])."""
    var_type = "[ID!]" if ids_argument == "ids" else "[Int!]"
    return (
        f"query FindScenesByIds($ids: {var_type}) {{\n"
        f"  findScenes({ids_argument}: $ids) {{ count scenes {{ ...PlexScene }} }}\n"
        "}\n" + scene_fragment(has_groups)
    )


def find_scene(has_groups: bool) -> str:
    """One scene by id; an unknown id answers `findScene: null`."""
    return "query FindScene($id: ID!) {\n  findScene(id: $id) { ...PlexScene }\n}\n" + scene_fragment(has_groups)


# `[rules] genre_parent_tag`: a tag found by name (Stash's EQUALS on names ignores case), and with it, in the same
# request, the tags under a parent id at any depth (`parents` criterion, depth -1). Variables: name_filter
# {name: {value, modifier: EQUALS}}, under_filter {parents: {value: [id], modifier: INCLUDES, depth: -1}}, filter
# {page: 1, per_page: -1}. The id comes from the previous round (or TAG_BY_NAME), so a round costs one request.
TAG_BY_NAME = """
query TagByName($name_filter: TagFilterType!, $filter: FindFilterType!) {
  findTags(tag_filter: $name_filter, filter: $filter) { tags { id name } }
}
"""
TAGS_UNDER = """
query TagsUnder($name_filter: TagFilterType!, $under_filter: TagFilterType!, $filter: FindFilterType!) {
  parent: findTags(tag_filter: $name_filter, filter: $filter) { tags { id name } }
  under: findTags(tag_filter: $under_filter, filter: $filter) { count tags { id name } }
}
"""
# ---- Plex -> Stash activity (docs: Stash schema v0.24..v0.30) ---------------------------------------------------
# What the server offers, asked once per connection: sceneAddPlay and Scene.play_history exist from v0.25,
# sceneSaveActivity and rating100 from v0.24 (before v0.25 a play had no date: sceneIncrementPlayCount only).
ACTIVITY_PROBE = """
query ActivityProbe {
  mutation: __type(name: "Mutation") { fields { name } }
  scene: __type(name: "Scene") { fields { name } }
}
"""


def scene_activity(fields: tuple[str, ...], ids_argument: str) -> str:
    """The activity fields (`rating100`, `resume_time`, `play_history`…) of scenes by id; `fields` holds only
    names the server's Scene has, so an older Stash is never asked for one it lacks."""
    var_type = "[ID!]" if ids_argument == "ids" else "[Int!]"
    return (
        f"query SceneActivity($ids: {var_type}) {{\n"
        f"  findScenes({ids_argument}: $ids) {{ scenes {{ id title {' '.join(fields)} }} }}\n"
        "}\n"
    )


# One write per scene and kind, many in one request (aliases `w0`, `w1`…; Stash runs mutation fields in order).
# A play's times are RFC 3339 `Timestamp`s (Stash stores them in its own zone); `sceneSaveActivity` without
# `playDuration` sets only the resume point; the rating goes through `sceneUpdate`.
ACTIVITY_WRITES = {
    "play": ("[Timestamp!]", "sceneAddPlay(id: $id{n}, times: $play{n}) {{ count }}"),
    "resume": ("Float", "sceneSaveActivity(id: $id{n}, resume_time: $resume{n})"),
    "rating": ("Int", "sceneUpdate(input: {{id: $id{n}, rating100: $rating{n}}}) {{ id }}"),
}


def activity_writes(kinds: list[str]) -> str:
    """The mutation for one batch of writes, `kinds[n]` being write n's kind; variables `id<n>` and `<kind><n>`."""
    variables = ", ".join(f"$id{n}: ID!, ${kind}{n}: {ACTIVITY_WRITES[kind][0]}" for n, kind in enumerate(kinds))
    fields = "\n".join(f"  w{n}: {ACTIVITY_WRITES[kind][1].format(n=n)}" for n, kind in enumerate(kinds))
    return f"mutation ActivityWrites({variables}) {{\n{fields}\n}}\n"
