#!/usr/bin/env python3
"""A SIMT interpreter for the gpu.func kernels of convert-retention-to-gpu.

  simt_sim.py KERNELS.mlir [--seed S] [--tol T] [--count N]
              [--kernel-count N] [--decay D]

KERNELS.mlir ('-': stdin) is the generic form (`--mlir-print-op-generic`)
of one or more gpu.modules of kernels, after convert-retention-to-gpu,
canonicalize and cse (with --split-input-file, several modules one after
the other). Each kernel's shapes and types come from its parameters, its
launch (grid and block, up to three dimensions each) from
`retention.launch`:

- linear (GEMM) kernels: x [M, K], weight [N, K], residual [M, N] if there
  are four memrefs, y [M, N]; y is compared with a float64 reference as
  check_linear.py does;
- retention kernels (4-D memrefs): q, k, v[, s0], o, state (batch B,
  tokens T, heads H, key K, value V); o and the final state are compared
  with retention_ref.py's recurrent form (the definition, float64), with
  the decay `--decay` (retnet, paper, or a list; default retnet) and the
  default scale K^-1/2.

A kernel whose last parameter is an `index` takes a run-time count there
(T of a retention kernel, M of a linear one, convert-retention-to-gpu's
runtime-sizes): `--count N` gives it (N <= 0: the static size + N; by
default the static size). Rows at or past the count of q, k, v, o (x,
residual, y) must be neither read nor written: a load or store there
fails, the inputs' rows there are NaN, and the outputs' rows there must
keep their initial random values bit for bit. `--kernel-count N` gives the
kernel N instead while the checks keep `--count`: a planted bug (a kernel
that walks past T) that must fail.

Every block is run with all its threads in lockstep, one op at a time over
numpy arrays of per-thread values (divergent scf.if regions and scf.for
loops under a mask of active threads; loads and stores touch only active
threads' elements; an output element stored twice, a load or store out of
bounds, a read of shared memory never written (NaN) show up); one line a
kernel ending in PASS or FAIL. It checks the IR's indexing, masking,
staging and shuffles on a machine without a GPU: not timing, not memory
ordering (lockstep hides a missing barrier; the GPU suite's racecheck does
not), not the NVVM lowering.

Library use (graph_kernels_check.py drives the graph-op kernels so):
`Sim(func, args, block, grid, globals_)` with a Buffer per memref
parameter and an int per index parameter. A Buffer may carry `limit`
(axis, n): indices at or past n on that axis may be neither loaded nor
stored (IndexError); `forbidden`, a bool array of its shape: elements that
may not be loaded (RuntimeError); `written`, a bool array of its shape:
every store marks its elements, and one stored twice fails.

Covers the ops of the gemv, simt GEMM and SIMT retention kernels (without
the tensor-core score tile) and of the graph-op kernels: arith (integer
and float arithmetic, cmpi, cmpf, select, index_cast(ui), sitofp/uitofp,
extf/truncf, negf, divf), math.fma/exp2/exp/sqrt/rsqrt/sincos,
scf.for/if/yield (loop bounds may differ between threads),
vector.load/store/extract/shuffle/from_elements/broadcast/interleave/
deinterleave, memref.load/store/view/get_global (of a memref.global in
the gpu.module; memrefs of any rank), gpu.thread_id/block_id (three
dimensions)/barrier/shuffle/dynamic_shared_memory and workgroup
attributions, and the empty inline asm that pins values in place; not
cp.async, ldmatrix, mma or wgmma. bf16 and f16 values are float32 arrays
rounded to the type, index and integer values int64, every float op
rounded once to its result type (an fma once): arithmetic, sqrt and
sitofp/uitofp exactly as IEEE does; rsqrt, exp, exp2, sin and cos are the
float64 value rounded (correctly rounded but for float64's own error; the
GPU's rsqrt.approx, ex2.approx and libdevice's expf and sincosf are within
2 ulp of that).
"""

import argparse
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref  # noqa: E402


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
        self.arg_types = []
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
                parts = m.group(1).split(", %")
                blk.args = [a.split(":")[0].strip() for a in parts]
                blk.args = [a if a.startswith("%") else "%" + a for a in blk.args]
                blk.arg_types = [a.split(":", 1)[1].strip() for a in parts]
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
    def __init__(self, array, elt, limit=None):
        self.a = array
        self.elt = elt
        # (axis, n): indices at or past n on that axis must not be touched
        # (rows past a run-time count).
        self.limit = limit


class Sim:
    """Runs `func` on `args` (a Buffer per memref parameter, an int per
    index parameter), block and grid of up to three dimensions each;
    `globals_` maps memref.global names to Buffers."""

    def __init__(self, func, args, block, grid, globals_=None):
        self.func = func
        self.block = tuple(block) + (1,) * (3 - len(block))
        self.grid = tuple(grid) + (1,) * (3 - len(grid))
        self.T = self.block[0] * self.block[1] * self.block[2]
        self.buffers = [a if isinstance(a, Buffer)
                        else np.full(self.T, int(a), dtype=np.int64)
                        for a in args]
        self.globals = globals_ or {}

    def run(self):
        body = self.func.regions[0]
        params = self.buffers
        for bz in range(self.grid[2]):
            for by in range(self.grid[1]):
                for bx in range(self.grid[0]):
                    env = dict(zip(body.args, params))
                    # Workgroup attributions: fresh shared memory, NaN.
                    for name, ty in zip(body.args[len(params):],
                                        body.arg_types[len(params):]):
                        dims, elt = shape_of(ty)
                        env[name] = Buffer(np.full(dims, np.nan, np.float32), elt)
                    self.bid = (bx, by, bz)
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
            if txt.startswith("0x") and elt == "f32":
                # The bits of a float MLIR prints in hex (infinities, NaN).
                v = float(np.array([int(txt, 16)], np.uint32).view(np.float32)[0])
            else:
                v = (float(txt) if ("." in txt or "e" in txt.lower()) and elt[0] in "fb"
                     else int(txt))
            if dims:
                return np.full((T, dims[0]), v, dtype=np.float32)
            if elt in ("f32", "bf16", "f16"):
                return np.full(T, v, dtype=np.float32)
            return np.full(T, v, dtype=np.int64)
        if n == "gpu.thread_id":
            flat = np.arange(T, dtype=np.int64)
            bx, by = self.block[0], self.block[1]
            if "dim x" in op.props:
                return flat % bx
            if "dim y" in op.props:
                return (flat // bx) % by
            return flat // (bx * by)
        if n == "gpu.block_id":
            d = 0 if "dim x" in op.props else 1 if "dim y" in op.props else 2
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
        if n == "arith.cmpf":
            # arith::CmpFPredicate: ordered predicates are false on a NaN,
            # unordered ones true.
            p = int(re.search(r"predicate = (\d+)", op.props).group(1))
            x, y = a
            with np.errstate(invalid="ignore"):
                nan = np.isnan(x) | np.isnan(y)
                cmp = [np.zeros(T, bool), x == y, x > y, x >= y, x < y, x <= y,
                       x != y, ~nan]
                if p < 8:
                    return cmp[p] & ~nan if 0 < p < 7 else cmp[p]
                return [nan | (x == y), nan | (x > y), nan | (x >= y),
                        nan | (x < y), nan | (x <= y), nan | (x != y), nan,
                        np.ones(T, bool)][p - 8]
        if n == "memref.get_global":
            return self.globals[re.search(r"name = @([\w.]+)", op.props).group(1)]
        if n in ("arith.index_cast", "arith.index_castui"):
            return a[0].astype(np.int64)
        if n in ("arith.uitofp", "arith.sitofp"):
            # One rounding: int64 -> f32 directly (numpy rounds to nearest
            # even); to bf16/f16 through float64 (exact below 2^53).
            elt = shape_of(result_types(op.types)[0])[1]
            return (a[0].astype(np.float32) if elt == "f32"
                    else round_to(a[0].astype(np.float64), elt))
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
            # The scalar's type is kept (float32 for floats, int64, bool).
            dims, _ = shape_of(result_types(op.types)[0])
            return np.repeat(a[0][:, None], dims[0], axis=1)
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
        if n == "math.exp2":
            elt = shape_of(result_types(op.types)[0])[1]
            with np.errstate(over="ignore", invalid="ignore"):
                return round_to(np.exp2(a[0].astype(np.float64)), elt)
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
            carried = list(inits)
            blk = op.regions[0]
            uniform = all((v[mask] == v[mask][0]).all() for v in (lb, ub, step)
                          if mask.any())
            if uniform:
                if not mask.any():
                    return carried
                first = np.argmax(mask)
                for i in range(int(lb[first]), int(ub[first]), int(step[first])):
                    env2 = dict(env)
                    env2[blk.args[0]] = np.full(T, i, dtype=np.int64)
                    for name, v in zip(blk.args[1:], carried):
                        env2[name] = v
                    carried = self.exec_block(blk.ops, env2, mask) or []
                return carried
            # Bounds that differ between threads (lb = thread index, step =
            # block size): each thread iterates while its own iv < ub; the
            # others wait, masked, their carried values kept.
            assert (step[mask] > 0).all(), "non-positive loop step"
            iv = lb.copy()
            live = mask & (iv < ub)
            while live.any():
                env2 = dict(env)
                env2[blk.args[0]] = iv.copy()
                for name, v in zip(blk.args[1:], carried):
                    env2[name] = v
                new = self.exec_block(blk.ops, env2, live) or []
                carried = [np.where(live[:, None] if c.ndim == 2 else live, x, c)
                           for x, c in zip(new, carried)]
                iv = iv + step
                live = live & (iv < ub)
            return carried
        if n == "scf.yield":
            return a
        if n == "gpu.return":
            return []
        raise NotImplementedError(n)

    def addresses(self, buf, idx, width, mask, what):
        """The active threads and the element indices each touches
        ([threads, width] per dimension; `width` consecutive elements along
        the last dimension for a vector access), checked against the
        bounds and the buffer's run-time count (`limit`)."""
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
        limit = getattr(buf, "limit", None)
        if limit is not None:
            axis, count = limit
            past = coords[axis] >= count
            if past.any():
                t = act[np.nonzero(past.any(axis=1))[0][0]]
                raise IndexError("%s past the run-time count %d at thread %d: %s" % (
                    what, count, t, [int(j[t]) for j in idx]))
        return act, tuple(coords)

    def gather(self, buf, idx, width, mask):
        """buf[idx] for every active thread (0 for the others); an element
        the buffer's `forbidden` marks may not be read."""
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
        """buf[idx] = v for every active thread; with the buffer's
        `written`, an element stored twice (by one store or two) fails."""
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


def simulate(func, bufs, block, grid, what):
    """Runs `func` on `bufs` over the whole grid; False, with a FAIL line
    naming `what`, if an access is out of bounds or forbidden."""
    try:
        Sim(func, bufs, block, grid).run()
    except (IndexError, RuntimeError) as err:
        print("%s: FAIL: %s" % (what, err))
        return False
    return True


def find_funcs(block, out):
    for op in block.ops:
        if op.name == "gpu.func":
            out.append(op)
        for blk in op.regions:
            find_funcs(blk, out)
    return out


def split_types(text):
    """The comma-separated types of `text`, commas inside <> not splitting."""
    out, depth, cur = [], 0, ""
    for ch in text:
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


def kernel_params(func):
    """The parameter types of `func` and its launch (block, grid)."""
    sig = re.search(r"function_type = \(([^)]*)\)", func.props).group(1)
    launch = re.search(r"retention.launch = \{block = array<i64: (\d+), (\d+), (\d+)>, "
                       r"grid = array<i64: (\d+), (\d+), (\d+)>",
                       func.props + func.types)
    block = tuple(int(launch.group(i)) for i in (1, 2, 3))
    grid = tuple(int(launch.group(i)) for i in (4, 5, 6))
    return split_types(sig), block, grid


def resolve_count(types, static, count):
    """The run-time count a kernel with parameters `types` is given: None
    where it takes none (an error if one was asked for)."""
    if types[-1] != "index":
        if count is not None:
            raise ValueError("--count given, but the kernel takes no index "
                             "parameter")
        return None
    if count is None:
        return static
    n = static + count if count <= 0 else count
    if not 1 <= n <= static:
        raise ValueError("count %d outside [1, %d]" % (n, static))
    return n


def rms_normalized(x, nw, eps, head_dim):
    """x (float64 rows) RMS-normalized per head of `head_dim` columns (the
    whole row: its width) and scaled by the norm weight `nw` [head_dim]."""
    m, K = x.shape
    xh = x.reshape(m, K // head_dim, head_dim)
    xh = xh / np.sqrt(np.mean(xh ** 2, axis=2, keepdims=True) + eps)
    return (xh * nw.astype(np.float64)).reshape(m, K)


def check_output(what, label, y, y0, m, ref, dt, tol):
    """Checks a linear kernel's output buffer `y` (of type `dt`, initially
    y0) against the float64 `ref` of its first m rows: every output there
    stored, the rows past m unchanged, the relative error within `tol` or
    1.5 times that of rounding ref to dt; prints one line, returns
    success."""
    if not y.written[:m].all():
        print("%s: FAIL: %d outputs not stored" % (what, (~y.written[:m]).sum()))
        return False
    if not np.array_equal(y.a[m:].view(np.uint32), y0[m:].view(np.uint32)):
        print("%s: FAIL: rows past M changed" % what)
        return False
    out = y.a[:m]
    err = np.linalg.norm(out - ref) / np.linalg.norm(ref)
    floor = np.linalg.norm(round_to(ref, dt) - ref) / np.linalg.norm(ref)
    bound = tol or max(1e-5, 1.5 * floor)
    ok = bool(np.isfinite(out).all() and err <= bound)
    print("%s: %s = %.3e (tol %.1e; rounding y alone gives %.3e) %s"
          % (what, label, err, bound, floor, "PASS" if ok else "FAIL"))
    return ok


def check_kernel(func, seed, tol=None, count=None, kernel_count=None,
                 norm_eps=1e-6, swiglu=False, head_dim=None, gate=False):
    """Runs `func` (x, weight[, up][, residual][, norm], y[, M]) on random
    inputs and compares y with the float64 reference (with a norm weight
    [K]: x RMS-normalized first, eps `norm_eps`; with `swiglu`, the second
    weight is the up projection's and y = swish(x weight^T) * (x up^T));
    prints one line, returns success."""
    types, block, grid = kernel_params(func)
    shapes = [shape_of(t) for t in types if t.startswith("memref")]
    (M, K), xdt = shapes[0]
    (N, _), wdt = shapes[1]
    if swiglu and tuple(shapes[2][0]) != (N, K):
        raise ValueError("--swiglu: the third parameter is not a [%d, %d] "
                         "weight" % (N, K))
    middle = shapes[3 if swiglu else 2:-1]
    # A gated head norm's gate [M, K] is the last of them.
    gate_dt = None
    if gate:
        if len(middle) == 0 or tuple(middle[-1][0]) != (M, K):
            raise ValueError("--gate: no [%d, %d] gate before y" % (M, K))
        gate_dt = middle[-1][1]
        middle = middle[:-1]
    residual = any(len(d) == 2 for d, _ in middle)
    norm = any(len(d) == 1 for d, _ in middle)
    D = head_dim or K
    if head_dim and K % D:
        print("M=%d N=%d K=%d: FAIL: heads of %d do not divide K" % (M, N, K, D))
        return False
    ydt = shapes[-1][1]  # x's type, or f32 (a half projection into f32)
    rows = resolve_count(types, M, count)
    m = M if rows is None else rows
    limit = None if rows is None else (0, rows)
    rng = np.random.default_rng(seed)
    x = round_to(rng.standard_normal((M, K)), xdt)
    w = round_to(rng.standard_normal((N, K)), wdt)
    wu = round_to(rng.standard_normal((N, K)), wdt) if swiglu else None
    res = round_to(rng.standard_normal((M, N)), ydt) if residual else None
    # Norm weights around 1, x at a scale the norm must undo.
    nw = (1 + 0.5 * rng.standard_normal(D)).astype(np.float32) if norm else None
    gv = round_to(rng.standard_normal((M, K)), gate_dt) if gate else None
    if norm:
        x = round_to(x * 37.0, xdt)
    # Rows past the run-time M: NaN inputs, outputs that must keep their
    # values.
    x[m:] = np.nan
    if res is not None:
        res[m:] = np.nan
    y0 = round_to(rng.standard_normal((M, N)), ydt)
    y = Buffer(np.where(np.arange(M)[:, None] < m, np.nan, y0).astype(np.float32),
               ydt, limit)
    y.written = np.zeros((M, N), bool)
    bufs = [Buffer(x, xdt, limit), Buffer(w, wdt)]
    if swiglu:
        bufs.append(Buffer(wu, wdt))
    if res is not None:
        bufs.append(Buffer(res, ydt, limit))
    if nw is not None:
        bufs.append(Buffer(nw, "f32"))
    if gate:
        gv[m:] = np.nan
        bufs.append(Buffer(gv, gate_dt, limit))
    bufs.append(y)
    if rows is not None:
        bufs.append(resolve_count(types, M, kernel_count) if kernel_count is not None
                    else rows)
    what = "M=%d N=%d K=%d x %s weight %s%s%s%s%s%s" % (
        M, N, K, xdt, wdt, " up" if swiglu else "",
        " residual" if residual else "", " norm" if norm else "",
        " heads of %d" % D if head_dim else "", " gate" if gate else "")
    if ydt != xdt:
        what += " y %s" % ydt
    if rows is not None:
        what += " rows %d" % rows
    if not simulate(func, bufs, block, grid, what):
        return False
    xr = x[:m].astype(np.float64)
    if norm:
        xr = rms_normalized(xr, nw, norm_eps, D)
    if gate:
        g64 = gv[:m].astype(np.float64)
        xr = xr * (g64 / (1 + np.exp(-g64)))
    ref = xr @ w.astype(np.float64).T
    if swiglu:
        ref = ref / (1 + np.exp(-ref)) * (xr @ wu.astype(np.float64).T)
    if res is not None:
        ref += res[:m]
    return check_output(what, "y rel err", y, y0, m, ref, ydt, tol)


def check_group_kernel(func, seed, group, tol=None, count=None,
                       kernel_count=None, norm_eps=1e-6):
    """Runs a linear_group kernel `func` (x, `group` weights[, norm], their
    `group` outputs[, M]) on random inputs and compares each output with
    the float64 reference; prints one line per output, returns success."""
    types, block, grid = kernel_params(func)
    shapes = [shape_of(t) for t in types if t.startswith("memref")]
    (M, K), xdt = shapes[0]
    weights = shapes[1:1 + group]
    rest = shapes[1 + group:]
    norm = len(rest) == group + 1
    if len(rest) != group + (1 if norm else 0):
        raise ValueError("--group %d: %d buffers after the weights"
                         % (group, len(rest)))
    outs = rest[1:] if norm else rest
    rows = resolve_count(types, M, count)
    m = M if rows is None else rows
    limit = None if rows is None else (0, rows)
    rng = np.random.default_rng(seed)
    x = round_to(rng.standard_normal((M, K)) * (37.0 if norm else 1.0), xdt)
    ws = [round_to(rng.standard_normal(tuple(d)), dt) for d, dt in weights]
    nw = (1 + 0.5 * rng.standard_normal(K)).astype(np.float32) if norm else None
    x[m:] = np.nan
    bufs = [Buffer(x, xdt, limit)] + [Buffer(w, dt) for w, (_, dt) in
                                      zip(ws, weights)]
    if norm:
        bufs.append(Buffer(nw, "f32"))
    ys, y0s = [], []
    for (d, dt) in outs:
        y0 = round_to(rng.standard_normal(tuple(d)), dt)
        y = Buffer(np.where(np.arange(M)[:, None] < m, np.nan, y0)
                   .astype(np.float32), dt, limit)
        y.written = np.zeros(tuple(d), bool)
        ys.append(y)
        y0s.append(y0)
    bufs += ys
    if rows is not None:
        bufs.append(resolve_count(types, M, kernel_count)
                    if kernel_count is not None else rows)
    what = "group of %d: M=%d K=%d x %s%s%s" % (
        group, M, K, xdt, " norm" if norm else "",
        "" if rows is None else " rows %d" % rows)
    if not simulate(func, bufs, block, grid, what):
        return False
    xr = x[:m].astype(np.float64)
    if norm:
        xr = rms_normalized(xr, nw, norm_eps, K)
    ok = True
    for i, (w, y, y0, (d, dt), (_, wdt)) in enumerate(
            zip(ws, ys, y0s, outs, weights)):
        line = "%s: y%d N=%d weight %s y %s" % (what, i, d[1], wdt, dt)
        ref = xr @ w.astype(np.float64).T
        ok = check_output(line, "rel err", y, y0, m, ref, dt, tol) and ok
    return ok


def check_retention_kernel(func, seed, tol=None, count=None, decay="retnet",
                           kernel_count=None, count_dim="tokens"):
    """Runs `func` (q, k, v[, s0], o, state[, count]) on random inputs and
    compares o and the final state with retention_ref's recurrent form;
    prints one line, returns success. The run-time count is T, or with
    count_dim "batch" the sequences B (a batched decode step): inputs of the
    rows at or past it are NaN and may not be read, their o and state may
    not be written."""
    types, block, grid = kernel_params(func)
    shapes = [shape_of(t) for t in types if t.startswith("memref")]
    (B, Tmax, H, K), qdt = shapes[0]
    (_, _, _, V), vdt = shapes[2]
    initial = len(shapes) == 6
    odt = shapes[-2][1]
    batch = count_dim == "batch"
    given = resolve_count(types, B if batch else Tmax, count)
    T = Tmax if given is None or batch else given
    N = given if batch and given is not None else B  # sequences computed
    axis = 0 if batch else 1
    limit = None if given is None else (axis, given)
    rng = np.random.default_rng(seed)
    q = round_to(rng.standard_normal((B, Tmax, H, K)), qdt)
    k = round_to(rng.standard_normal((B, Tmax, H, K)), qdt)
    v = round_to(rng.standard_normal((B, Tmax, H, V)), vdt)
    s0 = (round_to(rng.standard_normal((B, H, K, V)), shapes[3][1])
          if initial else None)
    # Rows past the run-time count: NaN inputs, outputs that must keep
    # their values.
    for a in (q, k, v):
        a[:, T:] = np.nan
        a[N:] = np.nan
    if initial:
        s0[N:] = np.nan
    o0 = round_to(rng.standard_normal((B, Tmax, H, V)), odt)
    inside = ((np.arange(Tmax) < T)[None, :, None, None] &
              (np.arange(B) < N)[:, None, None, None])
    o = Buffer(np.where(inside, np.nan, o0).astype(np.float32), odt, limit)
    o.written = np.zeros(o.a.shape, bool)
    st0 = rng.standard_normal((B, H, K, V)).astype(np.float32)
    st0[:N] = np.nan
    state = Buffer(st0.copy(), shapes[-1][1], limit if batch else None)
    bufs = [Buffer(q, qdt, limit), Buffer(k, qdt, limit), Buffer(v, vdt, limit)]
    if initial:
        bufs.append(Buffer(s0, shapes[3][1], limit if batch else None))
    bufs += [o, state]
    if given is not None:
        bufs.append(resolve_count(types, B if batch else Tmax, kernel_count)
                    if kernel_count is not None else given)
    what = "B=%d T=%d H=%d K=%d V=%d %s%s" % (B, Tmax, H, K, V, qdt,
                                           " initial" if initial else "")
    if given is not None:
        what += (" sequences %d" if batch else " tokens %d") % given
    if not simulate(func, bufs, block, grid, what):
        return False
    if not o.written[:N, :T].all():
        print("%s: FAIL: %d outputs not stored" % (what, (~o.written[:N, :T]).sum()))
        return False
    if not (np.array_equal(o.a[:, T:].view(np.uint32), o0[:, T:].view(np.uint32)) and
            np.array_equal(o.a[N:].view(np.uint32), o0[N:].view(np.uint32)) and
            np.array_equal(state.a[N:].view(np.uint32), st0[N:].view(np.uint32))):
        print("%s: FAIL: rows past the count changed" % what)
        return False
    gamma = retention_ref.decay_schedule(H, decay)
    ref_o, ref_s = retention_ref.retention_recurrent(
        q[:N, :T], k[:N, :T], v[:N, :T], gamma=gamma,
        s0=None if s0 is None else s0[:N])
    return report_retention(what, o.a[:N, :T], ref_o, state.a[:N], ref_s,
                            odt, tol)


def report_retention(what, out, ref_o, st, ref_s, odt, tol):
    """One line: the relative errors of a retention kernel's outputs `out`
    and final states `st` against the float64 reference, within `tol` (or
    1e-5, or 1.5 times what rounding the reference's outputs to `odt` alone
    gives); whether they are."""
    def rel(a, ref):  # 0 for no elements (packed sequences of no tokens)
        if ref.size == 0:
            return 0.0
        return np.linalg.norm(a - ref) / np.linalg.norm(ref)
    err_o, err_s = rel(out, ref_o), rel(st, ref_s)
    floor = rel(round_to(ref_o, odt), ref_o)
    bound = tol or max(1e-5, 1.5 * floor)
    ok = bool(np.isfinite(out).all() and np.isfinite(st).all()
              and err_o <= bound and err_s <= bound)
    print("%s: o rel err = %.3e, state rel err = %.3e (tol %.1e; rounding o "
          "alone gives %.3e) %s" % (what, err_o, err_s, bound, floor,
                                    "PASS" if ok else "FAIL"))
    return ok


def check_segmented_kernel(func, seed, lengths, tol=None, decay="retnet",
                           kernel_count=None):
    """Runs `func` (q, k, v[, s0], offsets, o, state[, count]: a chunkwise
    kernel of packed sequences) on sequences of `lengths` tokens packed
    one after another (the rest of Tmax NaN, never to be read), each with
    its own random initial state, against retention_ref's recurrent form
    of each sequence alone; an empty sequence must keep its state. With a
    run-time count, offsets past the sequences given are never read and
    the states past them keep their values; `kernel_count` (a planted bug)
    gives the kernel another count than the checks expect."""
    types, block, grid = kernel_params(func)
    mem = [t for t in types if t.startswith("memref")]
    shapes = [shape_of(t) for t in mem]
    (_, Tmax, H, K), qdt = shapes[0]
    (_, _, _, V), vdt = shapes[2]
    initial = len(shapes) == 7
    (N,), _ = shapes[4 if initial else 3]
    N -= 1
    odt = shapes[-2][1]
    takes_count = types[-1] == "index"
    n = len(lengths)
    total = sum(lengths)
    if total > Tmax or n > N or (not takes_count and n != N):
        raise ValueError("segments %s do not fit Tmax %d and %d sequences"
                         % (lengths, Tmax, N))
    rng = np.random.default_rng(seed)
    q = round_to(rng.standard_normal((1, Tmax, H, K)), qdt)
    k = round_to(rng.standard_normal((1, Tmax, H, K)), qdt)
    v = round_to(rng.standard_normal((1, Tmax, H, V)), vdt)
    for a in (q, k, v):
        a[:, total:] = np.nan
    s0 = (round_to(rng.standard_normal((N, H, K, V)), shapes[3][1])
          if initial else None)
    if initial:
        s0[n:] = np.nan
    offsets = np.full(N + 1, 1 << 40, dtype=np.int64)  # past n: not offsets
    offsets[:n + 1] = np.concatenate([[0], np.cumsum(lengths)])
    o0 = round_to(rng.standard_normal((1, Tmax, H, V)), odt)
    o = Buffer(o0.copy(), odt)
    o.written = np.zeros(o.a.shape, bool)
    st0 = rng.standard_normal((N, H, K, V)).astype(np.float32)
    state = Buffer(st0.copy(), shapes[-1][1])
    bufs = [Buffer(q, qdt), Buffer(k, qdt), Buffer(v, vdt)]
    for b in bufs:
        b.forbidden = np.zeros(b.a.shape, bool)
        b.forbidden[:, total:] = True
    if initial:
        sb = Buffer(s0, shapes[3][1])
        sb.forbidden = np.zeros(s0.shape, bool)
        sb.forbidden[n:] = True
        bufs.append(sb)
    off = Buffer(offsets.copy(), "i64")
    off.forbidden = np.zeros(N + 1, bool)
    if takes_count:
        off.forbidden[n + 1:] = True
    bufs += [off, o, state]
    if takes_count:
        bufs.append(n if kernel_count is None else kernel_count)
    what = "Tmax=%d H=%d K=%d V=%d %s%s segments %s" % (
        Tmax, H, K, V, qdt, " initial" if initial else "",
        ",".join(map(str, lengths)))
    if not simulate(func, bufs, block, grid, what):
        return False
    if not (o.written[:, :total].all() and not o.written[:, total:].any()):
        print("%s: FAIL: outputs stored %d of %d, %d past the tokens" % (
            what, o.written[:, :total].sum(), o.written[:, :total].size,
            o.written[:, total:].sum()))
        return False
    if not np.array_equal(state.a[n:].view(np.uint32), st0[n:].view(np.uint32)):
        print("%s: FAIL: states past the sequences changed" % what)
        return False
    gamma = retention_ref.decay_schedule(H, decay)
    ref_o = np.zeros((1, total, H, V))
    ref_s = np.zeros((n, H, K, V))
    for i, (a, b) in enumerate(zip(offsets[:n], offsets[1:n + 1])):
        init = None if s0 is None else s0[i:i + 1]
        if b == a:
            ref_s[i] = 0.0 if init is None else init[0]
            continue
        ro, rs = retention_ref.retention_recurrent(
            q[:, a:b], k[:, a:b], v[:, a:b], gamma=gamma, s0=init)
        ref_o[:, a:b] = ro
        ref_s[i] = rs[0]
    return report_retention(what, o.a[:, :total], ref_o, state.a[:n], ref_s,
                            odt, tol)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kernels", help="the generic-form IR ('-': stdin)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tol", type=float, help="relative error bound")
    p.add_argument("--count", type=int,
                   help="the run-time count of kernels that take one (<= 0: "
                        "the static size plus this)")
    p.add_argument("--count-dim", choices=["tokens", "batch"], default="tokens",
                   help="what the run-time count of a retention kernel counts: "
                        "T (default) or the sequences B (a batched decode "
                        "step, retention.runtime_batch)")
    p.add_argument("--kernel-count", type=int,
                   help="a planted bug: the count given to the kernel, while "
                        "the checks keep --count")
    p.add_argument("--decay", default="retnet",
                   help="the retention kernels' decay (retention_ref.py)")
    p.add_argument("--group", type=int,
                   help="linear kernels are linear_group kernels of this "
                        "many weights")
    p.add_argument("--head-dim", type=int,
                   help="linear kernels with a norm normalize heads of this "
                        "many columns (norm_head_dim)")
    p.add_argument("--gate", action="store_true",
                   help="linear kernels take a gated head norm's gate "
                        "[M, K] after the norm weight")
    p.add_argument("--swiglu", action="store_true",
                   help="linear kernels take two weights (swiglu_linear: "
                        "gate, then up)")
    p.add_argument("--norm-eps", type=float, default=1e-6,
                   help="the eps of linear kernels with a fused norm")
    p.add_argument("--segments",
                   help="retention kernels of packed sequences: the "
                        "sequences' lengths, e.g. 0,1,5,37")
    args = p.parse_args(argv)
    text = sys.stdin.read() if args.kernels == "-" else open(args.kernels).read()
    funcs = find_funcs(parse(text), [])
    if not funcs:
        print("FAIL: no gpu.func")
        return 1
    results = []
    for f in funcs:
        types, _, _ = kernel_params(f)
        dims = [shape_of(t)[0] for t in types if t.startswith("memref")]
        if args.segments is not None:
            lengths = [int(x) for x in args.segments.split(",")]
            results.append(check_segmented_kernel(f, args.seed, lengths,
                                                  args.tol, args.decay,
                                                  args.kernel_count))
        elif len(dims[0]) == 4:
            results.append(check_retention_kernel(f, args.seed, args.tol,
                                                  args.count, args.decay,
                                                  args.kernel_count,
                                                  args.count_dim))
        elif args.group:
            results.append(check_group_kernel(f, args.seed, args.group,
                                              args.tol, args.count,
                                              args.kernel_count,
                                              args.norm_eps))
        else:
            results.append(check_kernel(f, args.seed, args.tol, args.count,
                                        args.kernel_count, args.norm_eps,
                                        args.swiglu, args.head_dim,
                                        args.gate))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
