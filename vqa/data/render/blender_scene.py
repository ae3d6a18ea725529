"""Runs inside Blender (``blender --background --python blender_scene.py -- JOB.json``).

Renders CLEVR-rule scenes with the official assets. For each image index in the job:

1. open ``base_scene.blend`` (camera tracking the origin, three lamps, ground);
2. jitter the camera and lamps (uniform in [-j, j] per axis);
3. place 3-10 objects: shape, colour, material and size uniform; position uniform in
   [-3, 3]^2; rotation uniform in [0, 360); rejected when closer than ``min_dist`` (surface to
   surface) to another object or within ``margin`` of one along the left/right or front/behind
   directions (so relations are unambiguous); after ``max_retries`` the whole scene restarts;
   with ``occlude`` > 0, each small object is, with that probability, first tried just behind a
   large one and offset sideways by ``margin`` to ``margin + 0.6`` (the hardest case the rules allow:
   a small object mostly hidden by a nearer, larger one), falling back to a uniform position;
4. render an object-index image (emission shaders, one sample, no lamps) and restart the scene
   when an object has fewer than ``min_pixels`` visible pixels;
5. render the image with Cycles on the CPU and write ``images/NAME.png``, ``masks/NAME.ids``
   (raw bytes, 0 background, k = object k-1; the parent makes ``masks/NAME.png``) and ``scenes/NAME.json`` (CLEVR scene format plus
   ``bbox``/``area`` of each visible mask, camera and lamp positions).

Only Blender's Python (bpy, mathutils; Debian's blender has no numpy) is available here; the parent process merges the
per-image JSON files, computes relationships and RLE masks (``vqa.data.render.renderer``).
"""
import json
import math
import os
import random
import sys

import bpy
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

MASK_STEP = 20  # object k is drawn with value (k + 1) * MASK_STEP / 255 in the index image


def _rand(r, limit):
    return r.uniform(-limit, limit)


def _load_assets(assets):
    for name in ("Rubber", "MyMetal"):
        if name not in bpy.data.node_groups:
            bpy.ops.wm.append(directory=os.path.join(assets, "materials", name + ".blend", "NodeTree") + "/", filename=name)


def _directions(camera):
    """CLEVR's unit directions on the ground plane, from the camera's orientation."""
    q = camera.matrix_world.to_quaternion()
    out = {}
    for name, v in (("behind", (0, 0, -1)), ("left", (-1, 0, 0))):
        d = q @ Vector(v)
        d.z = 0.0
        d.normalize()
        out[name] = list(d)
    out["front"] = [-c for c in out["behind"]]
    out["right"] = [-c for c in out["left"]]
    out["above"] = [0.0, 0.0, 1.0]
    out["below"] = [0.0, 0.0, -1.0]
    return out


def _material(name, group, rgba):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    for n in [n for n in nodes if n.type != "OUTPUT_MATERIAL"]:
        nodes.remove(n)
    out = next(n for n in nodes if n.type == "OUTPUT_MATERIAL")  # looked up after removal: references go stale
    g = nodes.new("ShaderNodeGroup")
    g.node_tree = bpy.data.node_groups[group]
    g.inputs["Color"].default_value = rgba
    mat.node_tree.links.new(g.outputs["Shader"], out.inputs["Surface"])
    return mat


def _emission(name, value):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    for n in [n for n in nodes if n.type != "OUTPUT_MATERIAL"]:
        nodes.remove(n)
    out = next(n for n in nodes if n.type == "OUTPUT_MATERIAL")  # looked up after removal: references go stale
    e = nodes.new("ShaderNodeEmission")
    e.inputs["Color"].default_value = (value, value, value, 1.0)
    e.inputs["Strength"].default_value = 1.0
    mat.node_tree.links.new(e.outputs["Emission"], out.inputs["Surface"])
    return mat


def _add_object(assets, blend_name, name, radius, x, y, theta_deg):
    before = set(bpy.data.objects)
    bpy.ops.wm.append(directory=os.path.join(assets, "shapes", blend_name + ".blend", "Object") + "/", filename=blend_name)
    obj = next(o for o in bpy.data.objects if o not in before)
    obj.name = name
    obj.location = (x, y, radius)
    obj.scale = (radius, radius, radius)
    obj.rotation_euler[2] = math.radians(theta_deg)
    return obj


def _behind(r, job, directions, specs, radius):
    """A position just behind a random large object, offset sideways past the margin, or None."""
    large = [s for s in specs if s["radius"] > radius]
    if not large:
        return None
    a = r.choice(large)
    depth = a["radius"] + radius + job["min_dist"] + r.uniform(0.0, 1.0)
    side = r.choice((-1.0, 1.0)) * r.uniform(job["margin"], job["margin"] + 0.6)
    b, left = directions["behind"], directions["left"]
    x, y = a["x"] + depth * b[0] + side * left[0], a["y"] + depth * b[1] + side * left[1]
    return (x, y) if max(abs(x), abs(y)) <= 3 else None


def _place_objects(r, job, directions):
    """Random object specs satisfying the distance and margin rules, or None after too many tries."""
    props = job["properties"]
    n = r.randint(job["min_objects"], job["max_objects"])
    specs = []
    for _ in range(n):
        size = r.choice(sorted(props["sizes"]))
        radius = props["sizes"][size]
        hide = job["occlude"] > 0 and r.random() < job["occlude"]  # no draw when off: old seeds keep their scenes
        for attempt in range(job["max_retries"]):
            spot = _behind(r, job, directions, specs, radius) if hide and attempt < job["max_retries"] // 2 else None
            x, y = spot if spot else (r.uniform(-3, 3), r.uniform(-3, 3))
            ok = True
            for s in specs:
                dx, dy = x - s["x"], y - s["y"]
                if math.hypot(dx, dy) - radius - s["radius"] < job["min_dist"]:
                    ok = False
                    break
                for d in ("left", "front"):
                    if abs(dx * directions[d][0] + dy * directions[d][1]) < job["margin"]:
                        ok = False
                        break
                if not ok:
                    break
            if ok:
                break
        else:
            return None
        specs.append({"size": size, "radius": radius, "x": x, "y": y,
                      "shape": r.choice(sorted(props["shapes"])), "color": r.choice(sorted(props["colors"])),
                      "material": r.choice(sorted(props["materials"])), "rotation": r.uniform(0, 360)})
    return specs


def _render(path, samples, filter_width):
    scene = bpy.context.scene
    scene.cycles.samples = samples
    scene.cycles.filter_width = filter_width
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)


def render_one(job, index):
    r = random.Random(job["seed"] * 1000003 + index)
    assets = job["assets"]
    name = f"{job['prefix']}_{index:06d}.png"
    out = job["out_dir"]
    bpy.ops.wm.open_mainfile(filepath=os.path.join(assets, "base_scene.blend"))
    _load_assets(assets)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.render.resolution_x, scene.render.resolution_y = job["width"], job["height"]
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.cycles.max_bounces = 12
    scene.cycles.diffuse_bounces = 4
    scene.cycles.glossy_bounces = 4
    scene.cycles.blur_glossy = 2.0
    scene.cycles.use_denoising = bool(job.get("denoise"))
    if job.get("threads"):
        scene.render.threads_mode = "FIXED"
        scene.render.threads = job["threads"]
    camera = bpy.data.objects["Camera"]
    for axis in range(3):
        camera.location[axis] += _rand(r, job["camera_jitter"])
    for lamp in ("Lamp_Key", "Lamp_Fill", "Lamp_Back"):
        for axis in range(3):
            bpy.data.objects[lamp].location[axis] += _rand(r, job["light_jitter"])
    bpy.context.view_layer.update()
    directions = _directions(camera)
    props = job["properties"]

    for attempt in range(job["max_retries"]):
        specs = _place_objects(r, job, directions)
        if specs is None:
            continue
        objs = []
        for k, s in enumerate(specs):
            obj = _add_object(assets, props["shapes"][s["shape"]], f"obj{k}", s["radius"], s["x"], s["y"], s["rotation"])
            rgba = [c / 255.0 for c in props["colors"][s["color"]]] + [1.0]
            obj.data.materials.clear()
            obj.data.materials.append(_material(f"m{k}", props["materials"][s["material"]], rgba))
            objs.append(obj)
        bpy.context.view_layer.update()

        # object-index image: emission only, lamps and ground hidden, one crisp sample per pixel
        hidden = [o for o in bpy.data.objects if o.type == "LIGHT" or o.name == "Ground"]
        for o in hidden:
            o.hide_render = True
        world_strength = None
        bg = scene.world.node_tree.nodes.get("Background") if scene.world and scene.world.use_nodes else None
        if bg is not None:
            world_strength = bg.inputs["Strength"].default_value
            bg.inputs["Strength"].default_value = 0.0
        saved = [o.data.materials[0] for o in objs]
        for k, o in enumerate(objs):
            o.data.materials[0] = _emission(f"e{k}", (k + 1) * MASK_STEP / 255.0)
        view, look = scene.view_settings.view_transform, scene.view_settings.look
        scene.view_settings.view_transform = "Raw"
        denoise = scene.cycles.use_denoising
        scene.cycles.use_denoising = False
        mask_path = os.path.join(out, "masks", name)
        _render(mask_path, 1, 0.01)
        scene.cycles.use_denoising = denoise
        scene.view_settings.view_transform, scene.view_settings.look = view, look
        for o in hidden:
            o.hide_render = False
        if bg is not None:
            bg.inputs["Strength"].default_value = world_strength
        for o, m in zip(objs, saved):
            o.data.materials[0] = m

        img = bpy.data.images.load(mask_path)
        red = img.pixels[:][0::4]  # bottom row first
        bpy.data.images.remove(img)
        w, h = job["width"], job["height"]
        ids = [0] * (w * h)  # top row first, like the PNG
        for row in range(h):
            src = (h - 1 - row) * w
            ids[row * w:(row + 1) * w] = [int(round(v * 255.0 / MASK_STEP)) for v in red[src:src + w]]
        counts = [ids.count(k + 1) for k in range(len(objs))]
        if min(counts) >= job["min_pixels"]:
            break
        for o in objs:
            bpy.data.objects.remove(o, do_unlink=True)
    else:
        raise RuntimeError(f"no valid scene for {name} after {job['max_retries']} tries")

    # object k as byte k + 1, row-major from the top; the parent turns it into masks/NAME.png
    with open(mask_path[:-4] + ".ids", "wb") as f:
        f.write(bytes(ids))

    _render(os.path.join(out, "images", name), job["samples"], 1.5)

    objects = []
    for k, (s, o) in enumerate(zip(specs, objs)):
        u, v, depth = world_to_camera_view(scene, camera, o.location)
        xs = [q % w for q, v in enumerate(ids) if v == k + 1]
        ys = [q // w for q, v in enumerate(ids) if v == k + 1]
        objects.append({"shape": s["shape"], "color": s["color"], "material": s["material"], "size": s["size"],
                        "rotation": s["rotation"], "3d_coords": list(o.location),
                        "pixel_coords": [int(round(u * job["width"])), int(round((1 - v) * job["height"])), float(depth)],
                        "bbox": [min(xs), min(ys), max(xs) + 1, max(ys) + 1], "area": len(xs)})
    scene_json = {"split": job["split"], "image_index": index, "image_filename": name,
                  "mask_filename": name, "objects": objects, "directions": directions,
                  "camera_location": list(camera.location),
                  "lamp_locations": {n: list(bpy.data.objects[n].location) for n in ("Lamp_Key", "Lamp_Fill", "Lamp_Back")},
                  "width": job["width"], "height": job["height"]}
    tmp = os.path.join(out, "scenes", name[:-4] + ".json.tmp")
    with open(tmp, "w") as f:
        json.dump(scene_json, f)
    os.replace(tmp, tmp[:-4])  # the JSON appears last: its presence marks the image done


def main():
    job = json.load(open(sys.argv[sys.argv.index("--") + 1]))
    for i in job["indices"]:
        if os.path.exists(os.path.join(job["out_dir"], "scenes", f"{job['prefix']}_{i:06d}.json")):
            continue  # resume
        render_one(job, i)


if __name__ == "__main__":
    main()
