"""Numba kernel: repair a shortest-path tree after some edge travel times changed.

A hazard step changes the travel times of a few hundred edges; a cached tree from a hub (team
base, shelter, warehouse) is then repaired instead of searched again. Only the subtrees hanging
below changed tree edges are relabelled, from their unaffected neighbours, and changed edges
that now offer a shortcut are relaxed; a Dijkstra run from those seeds restores the tree.

The result is exact: every label is the floating-point sum along a real path and the labels
satisfy the Bellman equations, so they equal a fresh search's (tests compare with scipy's
Dijkstra). Predecessors may differ from a fresh search's only where two paths tie.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from network.kernels import heap_pop, heap_push

INF = np.inf

@njit(cache=True)
def repair_tree(indptr, indices, tails, weights, in_indptr, in_indices, in_weights, in_to_out,
                dist, pred, changed, max_relabel):
    """Repair ``(dist, pred)``, a shortest-path tree on the CSR graph ``indptr/indices`` (its
    root has dist 0), for the new ``weights``; ``changed`` lists the CSR positions whose weight
    changed since the tree was built. ``tails[e]`` is the tail node of position ``e``;
    ``in_indptr/in_indices/in_weights`` give each node's incoming edges (tail, weight) and
    ``in_to_out`` maps an incoming-edge position to the CSR position of the same edge.

    Returns new ``(dist, pred, relabelled)``: ``relabelled`` counts the nodes whose subtree was
    reset (0 means the tree only gained shortcuts or stayed as it was). When more than
    ``max_relabel`` nodes would be relabelled a fresh search is cheaper: the kernel stops and
    returns the inputs with ``relabelled = -1``.
    """
    n = indptr.shape[0] - 1
    d = dist.copy()
    pr = pred.copy()
    # the subtrees below changed tree edges, by depth-first search along tree edges (a child v
    # of u is the head of an out-edge e of u with pred[v] == e): cost in the subtrees' size
    below = np.zeros(n, np.bool_)
    affected = np.empty(n, np.int64)
    relabelled = 0
    for i in range(changed.shape[0]):
        e = changed[i]
        v = indices[e]
        if pr[v] == e and not below[v]:
            below[v] = True
            affected[relabelled] = v
            relabelled += 1
    head = 0
    while head < relabelled:
        u = affected[head]
        head += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if pr[v] == e and not below[v]:
                below[v] = True
                affected[relabelled] = v
                relabelled += 1
        if relabelled > max_relabel:
            return dist, pred, -1
    for i in range(relabelled):
        v = affected[i]
        d[v] = INF
        pr[v] = -1
    m = indices.shape[0]
    hkey = np.empty(m + n + 1, np.float64)
    hnode = np.empty(m + n + 1, np.int64)
    size = 0
    for i in range(relabelled):  # each relabelled node starts from its best untouched neighbour
        v = affected[i]
        for p in range(in_indptr[v], in_indptr[v + 1]):
            u = in_indices[p]
            if below[u]:
                continue
            nd = d[u] + in_weights[p]
            if nd < d[v]:
                d[v] = nd
                pr[v] = in_to_out[p]
        if d[v] < INF:
            heap_push(hkey, hnode, size, d[v], v)
            size += 1
    for i in range(changed.shape[0]):  # shortcuts through edges that got faster
        e = changed[i]
        u = tails[e]
        v = indices[e]
        if below[u]:
            continue
        nd = d[u] + weights[e]
        if nd < d[v]:
            d[v] = nd
            pr[v] = e
            heap_push(hkey, hnode, size, nd, v)
            size += 1
    while size > 0:
        key = hkey[0]
        u = hnode[0]
        size -= 1
        heap_pop(hkey, hnode, size)
        if key > d[u]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = key + weights[e]
            if nd < d[v]:
                d[v] = nd
                pr[v] = e
                heap_push(hkey, hnode, size, nd, v)
                size += 1
    return d, pr, relabelled
