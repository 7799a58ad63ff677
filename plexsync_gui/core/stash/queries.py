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
