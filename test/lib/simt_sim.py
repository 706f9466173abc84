#!/usr/bin/env python3
"""A SIMT interpreter for the gpu.func kernels of convert-retention-to-gpu.

  simt_sim.py KERNELS.mlir [--seed S] [--tol T]

KERNELS.mlir ('-': stdin) is the generic form (`--mlir-print-op-generic`)
of one or more gpu.modules of linear (GEMM) kernels, after
convert-retention-to-gpu, canonicalize and cse (with --split-input-file,
several modules one after the other). Each kernel's shapes and types come
from its parameters (x [M, K], weight [N, K], residual [M, N] if there are
four, y [M, N]), its launch from `retention.launch`. Every block is run
with all its threads in lockstep, one op at a time over numpy arrays of per-thread
values (divergent scf.if regions under a mask of active threads; loads and
stores touch only active threads' elements; an element stored twice, a
load or store out of bounds, a read of shared memory never written (NaN)
show up); y is compared with a float64 reference as check_linear.py does,
one line a kernel ending in PASS or FAIL. It checks the IR's indexing, masking,
staging and shuffles on a machine without a GPU: not timing, not memory
ordering (lockstep hides a missing barrier; the GPU suite's racecheck does
not), not the NVVM lowering.

Covers the ops of the gemv and simt GEMM kernels and of the graph-op
kernels (graph_kernels_check.py drives those): arith, math.fma/sqrt/
rsqrt/exp/sincos, scf.for/if/yield, vector.load/store/extract/shuffle/
from_elements/broadcast/interleave/deinterleave, memref.load/store/view/
get_global (of a memref.global in the gpu.module), gpu.thread_id/
block_id/barrier/shuffle/dynamic_shared_memory, and the empty inline asm
that pins values in place; not mma_sync's cp.async, ldmatrix and mma.
bf16 and f16 values are float32 arrays rounded to the type, index and
integer values int64, every f32 op rounded once (an fma once):
arithmetic and sqrt exactly as IEEE does, rsqrt, exp, sin and cos
correctly rounded (the GPU's rsqrt.approx and libdevice's expf and
sincosf are within 2 ulp of that).
"""

import argparse
import re
import sys

import numpy as np


def round_bf16(a):
    a = np.asarray(a, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(a), a, out)


def round_to(a, elt):
    if elt == "bf16":
        return round_bf16(a)
    if elt == "f16":
        return np.asarray(a, dtype=np.float32).astype(np.float16).astype(np.float32)
    if elt == "f32":
        return np.asarray(a, dtype=np.float32)
    raise ValueError(elt)


class Op:
    def __init__(self, results, name, operands, props, types):
        self.results = results
        self.name = name
        self.operands = operands
        self.props = props
        self.types = types
        self.regions = []


class Block:
    def __init__(self):
        self.args = []
        self.ops = []


OP_RE = re.compile(
    r'^\s*(?:(?P<res>%[\w#:]+(?:, %[\w#:]+)*) = )?"(?P<name>[\w.]+)"'
    r'\((?P<ops>[^)]*)\)(?P<rest>.*)$')


def parse(text):
    """The ops of the file as a tree (top-level ops)."""
    root = Block()
    stack = [(None, root)]  # (op, current block)
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("^bb"):
            m = re.match(r"\^bb\d+\((.*)\):", line)
            blk = stack[-1][1]
            if m and m.group(1):
                blk.args = [a.split(":")[0].strip() for a in m.group(1).split(", %")]
                blk.args = [a if a.startswith("%") else "%" + a for a in blk.args]
            continue
        if line.startswith("}, {"):
            op, _ = stack[-1]
            blk = Block()
            op.regions.append(blk)
            stack[-1] = (op, blk)
            continue
        if line.startswith("})"):
            op, _ = stack.pop()
            op.types = line[2:]
            continue
        m = OP_RE.match(line)
        if not m:
            raise ValueError("cannot parse: " + line)
        results = []
        if m.group("res"):
            for r in m.group("res").split(", "):
                if ":" in r:
                    base, n = r.split(":")
                    results += ["%s#%d" % (base, i) for i in range(int(n))]
                else:
                    results.append(r)
        operands = [o.strip() for o in m.group("ops").split(",") if o.strip()]
        rest = m.group("rest")
        op = Op(results, m.group("name"), operands, rest, rest)
        stack[-1][1].ops.append(op)
        if rest.rstrip().endswith("({"):
            blk = Block()
            op.regions.append(blk)
            stack.append((op, blk))
    return root


def shape_of(t):
    """(dims, element) of memref<AxBxT> / vector<NxT> / scalar."""
    m = re.match(r"(memref|vector)<([^>]*)>", t.strip())
    if not m:
        return None, t.strip()
    parts = m.group(2).split(",")[0].split("x")
    return [int(p) for p in parts[:-1]], parts[-1].strip()


def result_types(types):
    """The result types of a generic op's trailing `: (...) -> ...`."""
    t = types.split("->")[-1].strip()
    if t.startswith("("):
        t = t[1:-1]
    out, depth, cur = [], 0, ""
    for ch in t:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class Buffer:
    def __init__(self, array, elt):
        self.a = array
        self.elt = elt


class Sim:
    """Runs `func` on `args` (a Buffer per memref parameter, an int per
    index parameter); `globals_` maps memref.global names to Buffers."""
    def __init__(self, func, args, block, grid, globals_=None):
        self.func = func
        self.buffers = [a if isinstance(a, Buffer) else np.full(block[0], a, np.int64)
                        for a in args]
        self.block = block
        self.grid = grid
        self.T = block[0]
        self.globals = globals_ or {}

    def run(self):
        body = self.func.regions[0]
        for by in range(self.grid[1]):
            for bx in range(self.grid[0]):
                env = dict(zip(body.args, self.buffers))
                self.bid = (bx, by)
                self.shared = None
                self.exec_block(body.ops, env, np.ones(self.T, bool))

    def exec_block(self, ops, env, mask):
        for op in ops:
            r = self.exec_op(op, env, mask)
            if op.name in ("scf.yield", "gpu.return"):
                return r
            if r is None:
                continue
            if not isinstance(r, list):
                r = [r]
            for name, v in zip(op.results, r):
                env[name] = v
        return None

    def val(self, env, name):
        return env[name]

    def exec_op(self, op, env, mask):
        n = op.name
        a = [env[o] for o in op.operands]
        T = self.T
        if n == "arith.constant":
            b = re.search(r"value = (true|false)\b", op.props)
            if b:
                return np.full(T, b.group(1) == "true")
            m = re.search(r"value = (dense<)?([^>:]+)>? : (.*?)}>", op.props)
            txt, ty = m.group(2).strip(), m.group(3).strip()
            dims, elt = shape_of(ty)
            v = float(txt) if ("." in txt or "e" in txt.lower()) and elt[0] in "fb" else int(txt)
            if dims:
                return np.full((T, dims[0]), v, dtype=np.float32)
            if elt in ("f32", "bf16", "f16"):
                return np.full(T, v, dtype=np.float32)
            return np.full(T, v, dtype=np.int64)
        if n == "gpu.thread_id":
            return np.arange(T, dtype=np.int64)
        if n == "gpu.block_id":
            d = 0 if "dim x" in op.props else 1
            return np.full(T, self.bid[d], dtype=np.int64)
        if n == "gpu.dynamic_shared_memory":
            return "shared"
        if n == "memref.view":
            dims, elt = shape_of(result_types(op.types)[0])
            if self.shared is None:
                self.shared = {}
            off = int(a[1][0])
            if off not in self.shared:
                # Fresh shared memory holds garbage: NaN, so that a read of
                # an element nobody wrote shows up.
                self.shared[off] = Buffer(np.full(dims, np.nan, np.float32), elt)
            return self.shared[off]
        if n in ("arith.addi", "arith.subi", "arith.muli", "arith.divui",
                 "arith.remui", "arith.minsi", "arith.andi", "arith.ori",
                 "arith.xori", "arith.maxsi"):
            x, y = a
            f = {"arith.addi": np.add, "arith.subi": np.subtract,
                 "arith.muli": np.multiply,
                 "arith.divui": lambda p, q: np.floor_divide(p, np.where(q == 0, 1, q)),
                 "arith.remui": lambda p, q: np.remainder(p, np.where(q == 0, 1, q)),
                 "arith.minsi": np.minimum, "arith.maxsi": np.maximum,
                 "arith.andi": np.bitwise_and, "arith.ori": np.bitwise_or,
                 "arith.xori": np.bitwise_xor}[n]
            return f(x, y)
        if n == "arith.cmpi":
            p = int(re.search(r"predicate = (\d+)", op.props).group(1))
            x, y = a
            return [x == y, x != y, x < y, x <= y, x > y, x >= y,
                    x < y, x <= y, x > y, x >= y][p]
        if n == "memref.get_global":
            return self.globals[re.search(r"name = @([\w.]+)", op.props).group(1)]
        if n in ("arith.index_cast", "arith.index_castui"):
            return a[0].astype(np.int64)
        if n in ("arith.uitofp", "arith.sitofp"):
            elt = shape_of(result_types(op.types)[0])[1]
            return round_to(a[0].astype(np.float64), elt)
        if n == "arith.negf":
            return -a[0]
        if n == "arith.divf":
            x, y = a
            elt = shape_of(result_types(op.types)[0])[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                return round_to(x.astype(np.float64) / y.astype(np.float64), elt)
        if n in ("math.sqrt", "math.exp", "math.rsqrt"):
            f = {"math.sqrt": np.sqrt, "math.exp": np.exp,
                 "math.rsqrt": lambda x: 1 / np.sqrt(x)}[n]
            elt = shape_of(result_types(op.types)[0])[1]
            with np.errstate(over="ignore", invalid="ignore"):
                return round_to(f(a[0].astype(np.float64)), elt)
        if n == "math.sincos":
            elt = shape_of(result_types(op.types)[0])[1]
            x = a[0].astype(np.float64)
            return [round_to(np.sin(x), elt), round_to(np.cos(x), elt)]
        if n == "vector.broadcast":
            dims, _ = shape_of(result_types(op.types)[0])
            return np.repeat(a[0][:, None], dims[0], axis=1).astype(np.float32)
        if n == "arith.select":
            c, x, y = a
            if x.ndim == 2:
                c = c[:, None]
            return np.where(c, x, y)
        if n in ("arith.addf", "arith.mulf", "arith.subf"):
            x, y = a
            f = {"arith.addf": np.add, "arith.mulf": np.multiply,
                 "arith.subf": np.subtract}[n]
            elt = shape_of(result_types(op.types)[0])[1]
            return round_to(f(x.astype(np.float64), y.astype(np.float64)), elt)
        if n == "math.fma":
            x, y, z = a
            elt = shape_of(result_types(op.types)[0])[1]
            return round_to(x.astype(np.float64) * y + z.astype(np.float64), elt)
        if n in ("arith.extf",):
            return a[0].astype(np.float32)
        if n == "arith.truncf":
            elt = shape_of(result_types(op.types)[0])[1]
            return round_to(a[0], elt)
        if n == "vector.extract":
            pos = int(re.search(r"static_position = array<i64: (\d+)>", op.props).group(1))
            return a[0][:, pos]
        if n == "vector.shuffle":
            mask = [int(i) for i in re.search(r"mask = array<i64: ([\d, ]+)>",
                                              op.props).group(1).split(",")]
            return np.concatenate([a[0], a[1]], axis=1)[:, mask]
        if n == "vector.interleave":
            out = np.empty((T, 2 * a[0].shape[1]), np.float32)
            out[:, 0::2], out[:, 1::2] = a[0], a[1]
            return out
        if n == "vector.deinterleave":
            return [a[0][:, 0::2].copy(), a[0][:, 1::2].copy()]
        if n == "vector.from_elements":
            return np.stack(a, axis=1)
        if n in ("vector.load", "memref.load"):
            buf, idx = a[0], a[1:]
            dims, _ = shape_of(result_types(op.types)[0])
            width = dims[0] if n == "vector.load" else None
            return self.gather(buf, idx, width, mask)
        if n in ("vector.store", "memref.store"):
            v, buf, idx = a[0], a[1], a[2:]
            self.scatter(buf, idx, v, mask)
            return None
        if n == "gpu.barrier":
            return None
        if n == "llvm.inline_asm":
            # Only the empty statement that pins values in place (operands
            # tied to its results): the identity.
            assert re.search(r'asm_string = ""', op.props), "inline PTX"
            return [list(a)]
        if n == "llvm.extractvalue":
            pos = int(re.search(r"position = array<i64: (\d+)>", op.props).group(1))
            return a[0][pos]
        if n == "gpu.shuffle":
            v, off, width = a
            assert "xor" in op.props
            o = int(off[0])
            lanes = np.arange(T) ^ o
            return [v[lanes], np.ones(T, bool)]
        if n == "scf.if":
            c = a[0]
            then = self.exec_block(op.regions[0].ops, env, mask & c)
            if len(op.regions) > 1 and op.regions[1].ops:
                other = self.exec_block(op.regions[1].ops, env, mask & ~c)
            else:
                other = None
            if not op.results:
                return None
            out = []
            for t, e in zip(then, other):
                cc = c[:, None] if t.ndim == 2 else c
                out.append(np.where(cc, t, e))
            return out
        if n == "scf.for":
            ops = [env[o] for o in op.operands]
            lb, ub, step, inits = ops[0], ops[1], ops[2], ops[3:]
            for v in (lb, ub, step):
                assert (v == v[0]).all(), "non-uniform loop bound"
            carried = list(inits)
            blk = op.regions[0]
            for i in range(int(lb[0]), int(ub[0]), int(step[0])):
                env2 = dict(env)
                env2[blk.args[0]] = np.full(T, i, dtype=np.int64)
                for name, v in zip(blk.args[1:], carried):
                    env2[name] = v
                carried = self.exec_block(blk.ops, env2, mask) or []
            return carried
        if n == "scf.yield":
            return a
        if n == "gpu.return":
            return []
        raise NotImplementedError(n)

    def addresses(self, buf, idx, width, mask, what):
        """The active threads and the element indices each touches
        ([threads, width] per dimension), bounds checked."""
        arr = buf.a
        act = np.nonzero(mask)[0]
        w = width or 1
        coords = []
        for d, i in enumerate(idx):
            c = np.repeat(i[act][:, None], w, axis=1)
            if d == len(idx) - 1:
                c = c + np.arange(w)[None, :]
            bad = (c < 0) | (c >= arr.shape[d])
            if bad.any():
                t = act[np.nonzero(bad.any(axis=1))[0][0]]
                raise IndexError("out-of-bounds %s at thread %d: %s of %s" % (
                    what, t, [int(j[t]) for j in idx], arr.shape))
            coords.append(c)
        return act, tuple(coords)

    def gather(self, buf, idx, width, mask):
        T = self.T
        act, coords = self.addresses(buf, idx, width, mask, "load")
        forbidden = getattr(buf, "forbidden", None)
        if forbidden is not None and forbidden[coords].any():
            t = act[np.nonzero(forbidden[coords].any(axis=1))[0][0]]
            raise RuntimeError("thread %d read an element it must not: %s" % (
                t, [int(j[t]) for j in idx]))
        dtype = buf.a.dtype if buf.a.dtype.kind == "i" else np.float32
        out = np.zeros((T, width) if width else (T,), dtype)
        vals = buf.a[coords]
        if width:
            out[act] = vals
        else:
            out[act] = vals[:, 0]
        return out

    def scatter(self, buf, idx, v, mask):
        width = v.shape[1] if v.ndim == 2 else None
        act, coords = self.addresses(buf, idx, width, mask, "store")
        vals = v[act] if width else v[act][:, None]
        written = getattr(buf, "written", None)
        if written is not None:
            flat = np.ravel_multi_index(coords, buf.a.shape).ravel()
            if len(np.unique(flat)) != len(flat):
                raise RuntimeError("an element stored twice by one store")
            if written[coords].any():
                where = np.argwhere(written[coords])[0]
                raise RuntimeError("element %s stored twice" % (
                    [int(c[tuple(where)]) for c in coords],))
            written[coords] = True
        buf.a[coords] = vals


def find_funcs(block, out):
    for op in block.ops:
        if op.name == "gpu.func":
            out.append(op)
        for blk in op.regions:
            find_funcs(blk, out)
    return out


def check_kernel(func, seed, tol=None):
    """Runs `func` (x, weight[, residual], y) on random inputs and compares
    y with the float64 reference; prints one line, returns success."""
    body = func.regions[0]
    sig = re.search(r"function_type = \(([^)]*)\)", func.props).group(1)
    shapes = [shape_of(t) for t in re.findall(r"memref<[^>]*>", sig)]
    (M, K), xdt = shapes[0]
    (N, _), wdt = shapes[1]
    residual = len(shapes) == 4
    launch = re.search(r"retention.launch = \{block = array<i64: (\d+), 1, 1>, "
                       r"grid = array<i64: (\d+), (\d+), 1>", func.props + func.types)
    block = (int(launch.group(1)), 1, 1)
    grid = (int(launch.group(2)), int(launch.group(3)), 1)
    rng = np.random.default_rng(seed)
    x = round_to(rng.standard_normal((M, K)), xdt)
    w = round_to(rng.standard_normal((N, K)), wdt)
    res = round_to(rng.standard_normal((M, N)), xdt) if residual else None
    y = Buffer(np.full((M, N), np.nan, np.float32), xdt)
    y.written = np.zeros((M, N), bool)
    bufs = [Buffer(x, xdt), Buffer(w, wdt)]
    if res is not None:
        bufs.append(Buffer(res, xdt))
    bufs.append(y)
    what = "M=%d N=%d K=%d x %s weight %s%s" % (M, N, K, xdt, wdt,
                                               " residual" if residual else "")
    try:
        Sim(func, bufs, block, grid).run()
    except (IndexError, RuntimeError) as err:
        print("%s: FAIL: %s" % (what, err))
        return False
    if not y.written.all():
        print("%s: FAIL: %d outputs not stored" % (what, (~y.written).sum()))
        return False
    ref = x.astype(np.float64) @ w.astype(np.float64).T
    if res is not None:
        ref += res
    err = np.linalg.norm(y.a - ref) / np.linalg.norm(ref)
    floor = np.linalg.norm(round_to(ref, xdt) - ref) / np.linalg.norm(ref)
    bound = tol or max(1e-5, 1.5 * floor)
    ok = bool(np.isfinite(y.a).all() and err <= bound)
    print("%s: y rel err = %.3e (tol %.1e; rounding y alone gives %.3e) %s"
          % (what, err, bound, floor, "PASS" if ok else "FAIL"))
    return ok


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kernels", help="the generic-form IR ('-': stdin)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tol", type=float, help="relative error bound")
    args = p.parse_args(argv)
    text = sys.stdin.read() if args.kernels == "-" else open(args.kernels).read()
    funcs = find_funcs(parse(text), [])
    if not funcs:
        print("FAIL: no gpu.func")
        return 1
    results = [check_kernel(f, args.seed, args.tol) for f in funcs]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
