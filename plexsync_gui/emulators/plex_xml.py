"""Renders the emulated Plex Media Server's state as the XML that plexapi parses.

Every item goes through one builder, `video_elem()`, for listings and for the full item alike, so the two views
cannot drift apart: a listing differs only by truncated tag lists and by leaving out the `<Field>` locks, which is
exactly the difference that bites clients on a real server (see docs/plex-protocol.md §1.3 and §6).

Conventions (plexapi's parser depends on them): booleans as "0"/"1" (anything else raises inside plexapi),
timestamps as epoch seconds, attributes without a value are omitted rather than written as "".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from plexsync_gui.emulators.plex import Item, Resource, Section
    from plexsync_gui.emulators.plex_collections import Collection

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"

# Tag type as named in the edit grammar (`genre[0].tag.tag`) -> element name in the XML. Actors are `<Role>`.
TAG_ELEMENTS: dict[str, str] = {
    "genre": "Genre",
    "collection": "Collection",
    "actor": "Role",
    "director": "Director",
    "writer": "Writer",
    "producer": "Producer",
    "country": "Country",
    "label": "Label",
}

AttrValue = str | int | float | bool | None


def element(name: str, parent: ET.Element | None = None, /, **values: AttrValue) -> ET.Element:
    """Build an element (appended to `parent` when given) with Plex's attribute conventions applied.

    Positional-only parameters, so attributes called `tag` or `name` (tags, `<Field>`) can be passed by keyword.
    """
    attrs = {key: _attr_text(value) for key, value in values.items() if value is not None and value != ""}
    return ET.Element(name, attrs) if parent is None else ET.SubElement(parent, name, attrs)


def _attr_text(value: AttrValue) -> str:
    """Booleans must be 0/1: plexapi's cast(bool, ...) raises on "True"/"False"."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def container(**values: AttrValue) -> ET.Element:
    """The `<MediaContainer>` root every XML answer has."""
    return element("MediaContainer", **values)


def to_bytes(root: ET.Element) -> bytes:
    """Serialise with a double-quoted UTF-8 declaration, as PMS does.

    ElementTree writes a newline inside an attribute as `&#10;`, so multi-line summaries survive the round trip.
    """
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode")).encode("utf-8")


def section_attrs(section: Section) -> dict[str, AttrValue]:
    """Attributes that name a section; PMS puts them on listing and item containers, and on a full item's `<Video>`
    (not on a listing's: shared/captures/plex-1.43.1)."""
    return {
        "librarySectionID": section.key,
        "librarySectionKey": f"/library/sections/{section.key}",
        "librarySectionTitle": section.title,
    }


def section_elem(section: Section) -> ET.Element:
    """One `<Directory>` of `GET /library/sections`, with a `<Location>` child per configured folder."""
    elem = element(
        "Directory",
        allowSync=True,
        key=section.key,
        type=section.type,
        title=section.title,
        agent=section.kind.agent,
        scanner=section.kind.scanner,
        language="en-US",
        uuid=section.uuid,
        refreshing=False,
        filters=True,
        content=True,
        directory=True,
        hidden=0,
        createdAt=section.created_at,
        updatedAt=section.created_at,
        scannedAt=section.created_at,
        contentChangedAt=section.created_at,
        metadataAgentProviderGroupId=section.key,
    )
    for location_id, path in section.locations:
        element("Location", elem, id=location_id, path=path)
    return elem


def video_elem(
    item: Item,
    section: Section,
    *,
    full: bool,
    tag_limit: int | None,
    tag_ids: Mapping[tuple[str, str], int],
    section_on_item: bool = True,
    tag_thumbs: Mapping[tuple[str, str], str] | None = None,
) -> ET.Element:
    """The one `<Video>` builder. `full=False` is the listing view: tags cut to `tag_limit` per type, no locks.
    Without `section_on_item` the section is named by the container only (as in PMS 1.43.1's listings)."""
    elem = element(
        "Video",
        ratingKey=item.rating_key,
        key=f"/library/metadata/{item.rating_key}",
        guid=f"local://{item.rating_key}",
        type=item.type,
        **item.fields,
        **(section_attrs(section) if section_on_item else {}),
        thumb=item.image_url["thumb"],
        art=item.image_url["art"],
        addedAt=item.added_at,
        updatedAt=item.updated_at,
        duration=item.duration,
    )
    _media_elem(elem, item)
    for tag_type, tag_elem_name in TAG_ELEMENTS.items():
        names = item.tags[tag_type]
        shown = names if full or tag_limit is None else names[: max(tag_limit, 0)]
        for name in shown:
            tag_id = tag_ids[(tag_type, name)]
            thumb = tag_thumbs.get((tag_type, name)) if tag_thumbs else None
            element(tag_elem_name, elem, id=tag_id, filter=f"{tag_type}={tag_id}", tag=name, thumb=thumb)
    if full:
        for name in sorted(item.locks):
            element("Field", elem, locked=True, name=name)
    return elem


def collection_elem(collection: Collection, section: Section, child_count: int) -> ET.Element:
    """One `<Directory>` of `GET /library/sections/{id}/collections`, with the attributes plexapi's Collection reads."""
    return element(
        "Directory",
        ratingKey=collection.rating_key,
        key=f"/library/collections/{collection.rating_key}/children",
        guid=f"collection://{collection.rating_key}",
        type="collection",
        title=collection.title,
        subtype=section.kind.item_type,
        smart=False,
        collectionSort=collection.sort,
        childCount=child_count,
        addedAt=collection.added_at,
        updatedAt=collection.added_at,
        **section_attrs(section),
    )


def _media_elem(parent: ET.Element, item: Item) -> None:
    """`<Media><Part file=…/></Media>`: Part must be nested inside Media or plexapi finds no parts."""
    extension = item.file.rsplit(".", 1)[-1].lower() if "." in item.file else None
    media = element("Media", parent, id=item.part_id, duration=item.duration, container=extension)
    element(
        "Part",
        media,
        id=item.part_id,
        key=f"/library/parts/{item.part_id}/{item.added_at}/file.{extension or 'bin'}",
        file=item.file,
        size=item.size,
        duration=item.duration,
        container=extension,
    )


def photo_elem(rating_key: str, resource: Resource) -> ET.Element:
    """One `<Photo>` of `GET …/posters|arts`; plexapi builds Poster/Art objects from these."""
    url = f"/library/metadata/{rating_key}/file?url={quote(resource.rating_key, safe='')}"
    return element(
        "Photo",
        key=url,
        ratingKey=resource.rating_key,
        selected=resource.selected,
        thumb=url,
        provider=resource.provider,
    )
