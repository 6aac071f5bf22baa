"""Reading the workbench's own YAML files (plans, band files, mappings, schedules) strictly.

PyYAML silently keeps the last of two equal keys in a mapping; in a comp plan that can
change pay without anyone noticing. :func:`load_yaml` rejects a duplicate key with its name
and line, a file that is not UTF-8 text, and a path that is a folder, each as one
:class:`YamlError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import YamlError


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (line {key_node.start_mark.line + 1}; first at line "
                f"{seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str = "<yaml>"):
    """Parse YAML text with duplicate keys rejected."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.constructor.ConstructorError as exc:
        raise YamlError(f"{source}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None


def load_yaml(path: str | Path):
    """Read a YAML file: UTF-8 text, no duplicate keys; errors name the file."""
    path = Path(path)
    if not path.exists():
        raise YamlError(f"{path}: file not found")
    if path.is_dir():
        raise YamlError(f"{path}: is a folder, not a YAML file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    return parse_yaml(text, str(path))


__all__ = ["YamlError", "load_yaml", "parse_yaml"]
