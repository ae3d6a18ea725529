"""The scene graph every stage after perception works on.

A ``SceneGraph`` is the same value whether it came from a gold annotation (CLEVR or GQA JSON)
or from a detector, so the reasoner never needs to know where its input came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["SceneObject", "Relation", "SceneGraph"]


@dataclass
class SceneObject:
    """One object.

    Attributes:
        name: class name (``"cube"`` in CLEVR, ``"car"`` in GQA or COCO).
        attributes: attribute type -> value, e.g. ``{"color": "red", "size": "large"}``.
        box: ``[x0, y0, x1, y1]`` in pixels (xyxy), when known.
        position: ``[x, y, z]`` 3-D coordinates (CLEVR) when known.
        pixel: ``[x, y, depth]`` image position of the centre, when known.
        score: detector confidence (1.0 for gold objects).
        feature: optional visual feature vector (list of floats).
        extra: fields of the source format we keep for a faithful round trip.
    """

    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    box: list[float] | None = None
    position: list[float] | None = None
    pixel: list[float] | None = None
    score: float = 1.0
    feature: list[float] | None = None
    id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """``subject`` --predicate--> ``object``: "object ``subject`` is ``predicate`` of ``object``".

    CLEVR stores ``relationships[pred][i] = [j, ...]``: the objects j that are ``pred`` of i,
    which is ``Relation(j, pred, i)`` here.
    """

    subject: int
    predicate: str
    object: int


@dataclass
class SceneGraph:
    """Objects plus typed, directed relations between them."""

    objects: list[SceneObject] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    image_filename: str | None = None
    image_index: int | None = None
    width: int | None = None
    height: int | None = None
    directions: dict[str, list[float]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.objects)

    @property
    def predicates(self) -> list[str]:
        return sorted({r.predicate for r in self.relations})

    def related(self, index: int, predicate: str) -> list[int]:
        """Indices j with ``Relation(j, predicate, index)``: CLEVR's ``relate`` function."""
        return sorted(r.subject for r in self.relations if r.object == index and r.predicate == predicate)

    def to_networkx(self) -> nx.MultiDiGraph:
        """Nodes carry name, attributes and geometry; each relation is an edge keyed by predicate."""
        import networkx as nx  # defers networkx (0.15 s to import): answering never converts a graph

        g = nx.MultiDiGraph(image_filename=self.image_filename)
        for i, o in enumerate(self.objects):
            g.add_node(i, name=o.name, box=o.box, position=o.position, pixel=o.pixel, score=o.score,
                       object_id=o.id, **{f"attr_{k}": v for k, v in o.attributes.items()})
        for r in self.relations:
            g.add_edge(r.subject, r.object, key=r.predicate, predicate=r.predicate)
        return g

    @classmethod
    def from_networkx(cls, g: nx.MultiDiGraph) -> "SceneGraph":
        objects = []
        for i in sorted(g.nodes):
            d = g.nodes[i]
            attrs = {k[5:]: v for k, v in d.items() if k.startswith("attr_")}
            objects.append(SceneObject(name=d["name"], attributes=attrs, box=d.get("box"),
                                       position=d.get("position"), pixel=d.get("pixel"),
                                       score=d.get("score", 1.0), id=d.get("object_id")))
        relations = [Relation(u, d["predicate"], v) for u, v, d in g.edges(data=True)]
        return cls(objects=objects, relations=sorted(relations, key=_rel_key),
                   image_filename=g.graph.get("image_filename"))


def _rel_key(r: Relation):
    return (r.predicate, r.object, r.subject)
