"""Dijkstra kernels on CSR arrays, compiled with numba.

Only kernels live here; :mod:`network.paths` is the public, validated API. Every kernel takes
``(indptr, indices, weights)`` so it runs on the forward CSR or on the reverse one
(``rev_indptr, rev_indices, weights[rev_edge]``) alike. Weights must be non-negative and not
NaN (the caller checks); +inf marks a closed edge. Unreached nodes get +inf.

Why the code looks the way it does (measured single-threaded on the 256k-node synthetic road
network of ``benchmarks/synthetic_roads.py`` and on smaller ones, 2-core EPYC, numba 0.68):

* The priority queue is a *lazy* 4-ary min-heap with keys (float64) and node ids (int32) in
  two parallel arrays: an improved node is pushed again and the stale entry skipped when
  popped. That avoids the position array and its writes that decrease-key needs, and
  4 children share one cache line of keys. Binary, 8-ary, bottom-up and radix heaps were all
  slower here (the heap stays small, ~1.5k entries on 250k nodes, so it lives in L1/L2);
  the unrolled min-of-4 in :func:`heap_pop` gained about 6%.
* Work arrays (distances, heap) are allocated once per thread and reused for every source;
  only touched entries are reset. The distance array stays hot in cache between sources,
  which beats searching directly in the (cold) output row.
* Many-to-many searches run on ``n_threads`` workers (``prange``); each allocates its work
  arrays once and takes the next source from a shared atomic counter (:func:`_take_next`)
  until none are left. On a shared machine the threads rarely get equal CPU time, and a
  static split would leave the faster one waiting (``numba.parallel_chunksize`` did not
  change numba's static assignment of ``prange`` iterations here).
* When a node is pushed, the start of its adjacency (``indices``/``weights`` at
  ``indptr[v]``) is prefetched: the node is settled a little later, and by then its edges
  are in cache. The search is memory-bound on large networks (a random node order is 2.3x
  slower than the Hilbert order), and this prefetch made it ~27% faster on 250k nodes.
* Hot-loop indices are cast to unsigned (:data:`_U`), which drops numba's wrap-around
  handling of negative indices: another 20-27%. Net effect: ~53 ns per settled node on 250k
  nodes (scipy's csgraph.dijkstra ~160 ns on the same matrix), ~35 ns on 5k nodes.
* A settled node is never improved again (weights are non-negative), so no "settled" flag
  is needed: ``nd < dist[v]`` is false for it.
"""
from __future__ import annotations

import numpy as np
from llvmlite import binding as _llvm
from llvmlite import ir
from numba import njit, prange
from numba.core import cgutils, types
from numba.extending import intrinsic

INF = np.inf
#: Index with unsigned integers in the hot loops. numba supports negative (wrap-around)
#: indices for signed ones, and that extra select on every heap and distance access cost
#: 20-27% of the search time; node and edge numbers are never negative here.
_U = np.uintp

# llvm.prefetch is overloaded on the pointer type; its name changed with opaque pointers (LLVM 15)
_PREFETCH = "llvm.prefetch.p0" if _llvm.llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Ask the CPU to fetch ``arr[idx]`` into cache (a hint: no fault, no effect on results)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _PREFETCH)
        # read access, keep in all cache levels, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _take_next(typingctx, counter):
    """Atomically ``counter[0] += 1``; returns the value before (a work queue for threads)."""
    sig = types.int64(counter)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [context.get_constant(types.intp, 0)])
        return builder.atomic_rmw("add", ptr, ir.Constant(ir.IntType(64), 1), "monotonic")

    return sig, codegen


# ---------------------------------------------------------------------------- heap
@njit(cache=True, inline="always")
def heap_push(hkey, hnode, size, key, v):
    """Insert (key, v) into a heap holding ``size`` entries; the caller adds one to size."""
    i = size
    while i > 0:
        p = (i - 1) >> 2
        pk = hkey[_U(p)]
        if pk <= key:
            break
        hkey[_U(i)] = pk
        hnode[_U(i)] = hnode[_U(p)]
        i = p
    hkey[_U(i)] = key
    hnode[_U(i)] = v


@njit(cache=True, inline="always")
def heap_pop(hkey, hnode, size):
    """Drop the root of a heap that now holds ``size`` entries (the caller already subtracted one).

    The last entry (at ``size``) is sifted down from the root.
    """
    key = hkey[_U(size)]
    v = hnode[_U(size)]
    i = 0
    while True:
        c = 4 * i + 1
        if c + 3 < size:
            # all four children exist: pick the smallest with selects, not a loop
            k0 = hkey[_U(c)]
            k1 = hkey[_U(c + 1)]
            k2 = hkey[_U(c + 2)]
            k3 = hkey[_U(c + 3)]
            a = c if k0 <= k1 else c + 1
            ka = min(k0, k1)
            b = c + 2 if k2 <= k3 else c + 3
            kb = min(k2, k3)
            mc = a if ka <= kb else b
            mk = min(ka, kb)
        elif c < size:
            mc = c
            mk = hkey[_U(c)]
            for j in range(c + 1, size):
                if hkey[_U(j)] < mk:
                    mk = hkey[_U(j)]
                    mc = j
        else:
            break
        if mk >= key:
            break
        hkey[_U(i)] = mk
        hnode[_U(i)] = hnode[_U(mc)]
        i = mc
    hkey[_U(i)] = key
    hnode[_U(i)] = v


# ---------------------------------------------------------------------------- core search
@njit(cache=True)
def _search(indptr, indices, weights, source, cutoff, dist, hkey, hnode, touched, mark, n_marked, pred):
    """Dijkstra from ``source`` into ``dist`` (all +inf on entry).

    Nodes farther than ``cutoff`` are never labelled. ``touched``, ``mark`` and ``pred`` may
    each be ``None``; numba then compiles a version without that bookkeeping (the ``is None``
    branches are pruned at compile time), which keeps the all-nodes search lean.

    * ``touched``: every node that gets a finite label is appended (the caller resets those);
      returns how many (0 without ``touched``).
    * ``mark``: stop once ``n_marked`` nodes with ``mark[v] != 0`` are settled.
    * ``pred``: ``pred[v]`` receives the CSR position of the edge that last improved ``v``.
    """
    dist[source] = 0.0
    n_touched = 0
    if touched is not None:
        touched[0] = source
        n_touched = 1
    hkey[0] = 0.0
    hnode[0] = source
    size = 1
    found = 0
    while size > 0:
        u = _U(hnode[0])
        d = hkey[0]
        size -= 1
        if size > 0:
            heap_pop(hkey, hnode, size)
        if d > dist[u]:
            continue  # stale entry: u was improved after this push
        if mark is not None:
            if mark[u] != 0:
                found += 1
                if found == n_marked:
                    break
        for e in range(_U(indptr[u]), _U(indptr[u + _U(1)])):
            v = _U(indices[e])
            nd = d + weights[e]
            if nd < dist[v] and nd <= cutoff:
                if touched is not None:
                    if dist[v] == INF:
                        touched[n_touched] = v
                        n_touched += 1
                dist[v] = nd
                if pred is not None:
                    pred[v] = e
                first = indptr[v]
                _prefetch(indices, first)
                _prefetch(weights, first)
                heap_push(hkey, hnode, size, nd, v)
                size += 1
    return n_touched


# ---------------------------------------------------------------------------- kernels
@njit(cache=True)
def one_to_all(indptr, indices, weights, source, cutoff, want_pred):
    """Distances from ``source`` to every node, and (if ``want_pred``) predecessor edges.

    Returns ``(dist, pred)``: ``pred[v]`` is the CSR position of the last edge on a shortest
    path to ``v`` (-1 for the source and unreached nodes); ``pred`` is empty when not wanted.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    dist = np.full(n, INF)
    pred = np.full(n if want_pred else 0, -1, np.int32)
    hkey = np.empty(m + 1, np.float64)
    hnode = np.empty(m + 1, np.int32)
    if want_pred:
        _search(indptr, indices, weights, source, cutoff, dist, hkey, hnode, None, None, 0, pred)
    else:
        _search(indptr, indices, weights, source, cutoff, dist, hkey, hnode, None, None, 0, None)
    return dist, pred


@njit(cache=True)
def point_to_point(indptr, indices, weights, source, target, cutoff):
    """Like :func:`one_to_all` with predecessors, but stops once ``target`` is settled.

    Returns ``(dist, pred)``; only entries on the path to ``target`` are meaningful.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    dist = np.full(n, INF)
    pred = np.full(n, -1, np.int32)
    hkey = np.empty(m + 1, np.float64)
    hnode = np.empty(m + 1, np.int32)
    mark = np.zeros(n, np.uint8)
    mark[target] = 1
    _search(indptr, indices, weights, source, cutoff, dist, hkey, hnode, None, mark, 1, pred)
    return dist, pred


@njit(cache=True, parallel=True)
def many_to_all(indptr, indices, weights, sources, cutoff, n_threads):
    """Distance matrix ``(len(sources), n)``, searches spread over ``n_threads`` threads.

    ``n_threads`` should be ``numba.get_num_threads()``; it is an argument because calling
    that inside a parallel kernel stops numba from caching the kernel.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    k = sources.shape[0]
    out = np.empty((k, n), np.float64)
    counter = np.zeros(1, np.int64)
    for _ in prange(max(1, min(n_threads, k))):
        dist = np.full(n, INF)
        hkey = np.empty(m + 1, np.float64)
        hnode = np.empty(m + 1, np.int32)
        while True:
            i = _take_next(counter)
            if i >= k:
                break
            _search(indptr, indices, weights, sources[i], cutoff, dist, hkey, hnode, None, None, 0, None)
            # copy the row out and reset in one sequential pass (every entry is written anyway)
            row = out[i]
            for j in range(n):
                row[j] = dist[j]
                dist[j] = INF
    return out


@njit(cache=True, parallel=True)
def many_to_many(indptr, indices, weights, sources, targets, cutoff, n_threads):
    """Distance matrix ``(len(sources), len(targets))``, ``n_threads`` as in :func:`many_to_all`.

    Each search stops as soon as every target is settled, so nearby targets are cheap; only
    the nodes a search touched are reset for the next one.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    k = sources.shape[0]
    nt = targets.shape[0]
    out = np.empty((k, nt), np.float64)
    mark = np.zeros(n, np.uint8)
    n_marked = 0
    for j in range(nt):
        if mark[targets[j]] == 0:
            mark[targets[j]] = 1
            n_marked += 1
    counter = np.zeros(1, np.int64)
    for _ in prange(max(1, min(n_threads, k))):
        dist = np.full(n, INF)
        hkey = np.empty(m + 1, np.float64)
        hnode = np.empty(m + 1, np.int32)
        touched = np.empty(n, np.int32)
        while True:
            i = _take_next(counter)
            if i >= k:
                break
            n_touched = _search(
                indptr, indices, weights, sources[i], cutoff, dist, hkey, hnode, touched, mark, n_marked, None
            )
            for j in range(nt):
                out[i, j] = dist[targets[j]]
            for j in range(n_touched):
                dist[touched[j]] = INF
    return out


@njit(cache=True)
def nearest_source(indptr, indices, weights, sources, cutoff):
    """One search from a virtual super-source joined to every node of ``sources`` by 0-weight edges.

    Returns ``(dist, which)``: for every node the distance from its nearest source and that
    source's index in ``sources`` (-1 if unreached). A node listed twice keeps its first index;
    ties between different sources go to whichever is settled first.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    dist = np.full(n, INF)
    which = np.full(n, -1, np.int32)
    cap = m + sources.shape[0] + 1
    hkey = np.empty(cap, np.float64)
    hnode = np.empty(cap, np.int32)
    size = 0
    for j in range(sources.shape[0]):
        s = sources[j]
        if which[s] < 0:
            dist[s] = 0.0
            which[s] = j
            heap_push(hkey, hnode, size, 0.0, s)
            size += 1
    while size > 0:
        u = _U(hnode[0])
        d = hkey[0]
        size -= 1
        if size > 0:
            heap_pop(hkey, hnode, size)
        if d > dist[u]:
            continue
        lab = which[u]
        for e in range(_U(indptr[u]), _U(indptr[u + _U(1)])):
            v = _U(indices[e])
            nd = d + weights[e]
            if nd < dist[v] and nd <= cutoff:
                dist[v] = nd
                which[v] = lab
                first = indptr[v]
                _prefetch(indices, first)
                _prefetch(weights, first)
                heap_push(hkey, hnode, size, nd, v)
                size += 1
    return dist, which


@njit(cache=True)
def trace_path(indptr, pred, source, target):
    """Follow ``pred`` (CSR edge positions) back from ``target`` to ``source``.

    Returns ``(nodes, edges)`` in search order, source first: ``edges[i]`` is the CSR position
    of the edge from ``nodes[i]`` to ``nodes[i + 1]``. Both are empty if ``target`` has no
    predecessor chain to ``source``.
    """
    n = indptr.shape[0] - 1
    edges = np.empty(n, np.int64)
    nodes = np.empty(n + 1, np.int64)
    nodes[0] = target
    length = 0
    v = target
    while v != source:
        e = pred[v]
        if e < 0 or length >= n:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        # the row that owns CSR position e is the previous node
        lo = 0
        hi = n
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if indptr[mid] <= e:
                lo = mid
            else:
                hi = mid
        edges[length] = e
        length += 1
        v = lo
        nodes[length] = v
    return nodes[: length + 1][::-1].copy(), edges[:length][::-1].copy()


@njit(cache=True)
def trace_reverse_path(pred, rev_edge, heads, src, dst):
    """Walk a reverse-CSR tree (built by a search TO ``dst``) from ``src`` to its root ``dst``;
    ``pred`` holds reverse-CSR positions.

    Returns ``(nodes, edges)`` source first, as :func:`network.kernels.trace_path` does;
    empty when ``src`` does not reach ``dst``.
    """
    n = pred.shape[0]
    nodes = np.empty(n + 1, np.int64)
    edges = np.empty(n, np.int64)
    nodes[0] = src
    k = 0
    v = src
    while v != dst:
        p = pred[v]
        if p < 0 or k >= n:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        e = rev_edge[p]
        edges[k] = e
        v = heads[e]
        k += 1
        nodes[k] = v
    return nodes[: k + 1].copy(), edges[:k].copy()
