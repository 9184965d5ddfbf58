"""pal_model_np: pal-train's model files read and evaluated in numpy alone,
for the shell tests (tests/t140-pal-train.sh, t141-pal-train-mpi.sh).

Written from pal-model(5), mlp.h's parameter layout and the committee and
GP formulas of pal-train(1), with share/pal_stream.py as the reader: none
of pal's C code is used, so what it computes is an independent check of
what pal-train wrote and pal-predict prints.

    m = load('model.pal')       keys (dict), arrays (dict name -> ndarray)
    mean, std, members = mlp_predict(m, x)
    mean, std = gp_predict(m, x)            through the stored alpha, chol
    mean, std = gp_closed_form(m, xtrain, ytrain, x)
                                             from theta and the data alone
    cols = columns('data.pal')               a labeled stream's columns
"""
import numpy as np

import pal_stream


class Model:
    def __init__(self, kind, keys, arrays):
        self.kind = kind        # the kind frame's pairs, as a dict
        self.keys = keys        # frame 1's keys, declarations left out
        self.arrays = arrays    # name -> ndarray, of the declared shape

    def type(self):
        return self.kind['model']

    def nums(self, key):
        v = self.keys[key]
        return np.array([float(t) for t in v.split(',')]) if v else \
            np.zeros(0)

    def int(self, key):
        return int(self.keys[key])


def load(path):
    frames = list(pal_stream.read(path))
    metas = [f for f in frames if f.kind == 'meta']
    kind = dict(metas[0].meta)
    assert kind['kind'] == 'model', kind
    keys, decl = {}, []
    for k, v in metas[1].meta:
        if k.startswith('array.'):
            dt, shape = v.split(' ')
            decl.append((k[6:], dt, tuple(int(s) for s in shape.split(','))))
        else:
            keys[k] = v
    parts = {}
    for f in frames:
        if f.kind != 'data':
            continue
        for name, a in f.columns.items():
            parts.setdefault(name, []).append(np.array(a))
    arrays = {}
    for name, dt, shape in decl:
        a = np.concatenate(parts[name], axis=0)
        arrays[name] = a.reshape(shape)
    return Model(kind, keys, arrays)


def columns(path):
    cols, _ = pal_stream.read_all(path)
    out = {}
    for k, v in cols.items():
        v = np.asarray(v)
        out[k] = v.reshape(len(v), -1) if k in ('x', 'y', 'grad') else v
    return out


def _act(name, z):
    if name == 'tanh':
        return np.tanh(z)
    if name == 'relu':
        return np.maximum(z, 0)
    if name == 'silu':
        return z / (1 + np.exp(-z))
    raise ValueError(name)


def mlp_members(m, x):
    """Each member's outputs in output units: (M, n, k), in double."""
    M, d, k = m.int('members'), m.int('d'), m.int('k')
    hidden = [int(t) for t in m.keys['layers'].split(',')] \
        if m.keys['layers'] else []
    w = [d] + hidden + [k]
    theta = m.arrays['theta'].astype(np.float64).reshape(M, -1)
    xs = (np.asarray(x, np.float64).reshape(-1, d) - m.nums('x_mean')) / \
        m.nums('x_std')
    out = np.empty((M, len(xs), k))
    for j in range(M):
        t, o, a = theta[j], 0, xs
        for l in range(1, len(w)):
            W = t[o:o + w[l] * w[l - 1]].reshape(w[l], w[l - 1])
            o += w[l] * w[l - 1]
            b = t[o:o + w[l]]
            o += w[l]
            a = a @ W.T + b
            if l < len(w) - 1:
                a = _act(m.keys['activation'], a)
        assert o == theta.shape[1], (o, theta.shape)
        out[j] = m.nums('y_mean') + m.nums('y_std') * a
    return out


def mlp_predict(m, x):
    """mean (n, k), std (n, k) with the calibration, members (M, n, k)."""
    f = mlp_members(m, x)
    mean = f.mean(axis=0)
    if len(f) >= 2:
        std = float(m.keys['calibration']) * np.sqrt(
            ((f - mean) ** 2).sum(axis=0) / (len(f) - 1))
    else:
        std = np.zeros_like(mean)
    return mean, std, f


def _kern(kernel, theta, a, b):
    d = a.shape[1]
    l = np.exp(theta[:d])
    sf2 = np.exp(theta[d])
    r2 = (((a[:, None, :] - b[None, :, :]) / l) ** 2).sum(axis=2)
    if kernel == 'rbf':
        return sf2 * np.exp(-r2 / 2)
    r = np.sqrt(r2)
    return sf2 * (1 + np.sqrt(5) * r + 5 * r2 / 3) * np.exp(-np.sqrt(5) * r)


def gp_predict(m, x):
    """The GP's mean and std (of f) in output units through the stored
    standardised x, alpha and Cholesky factor, as a reader of the file."""
    d, n = m.int('d'), m.int('n')
    theta = m.nums('theta')
    X = m.arrays['x'].reshape(n, d)
    alpha = m.arrays['alpha'].reshape(n)
    packed = m.arrays['chol'].reshape(-1)
    L = np.zeros((n, n))
    L[np.tril_indices(n)] = packed
    z = (np.asarray(x, np.float64).reshape(-1, d) - m.nums('x_mean')) / \
        m.nums('x_std')
    ks = _kern(m.keys['kernel'], theta, z, X)
    mu = ks @ alpha
    v = np.linalg.solve(L, ks.T)
    var = np.maximum(np.exp(theta[d]) - (v * v).sum(axis=0), 0)
    ym, ys = float(m.keys['y_mean']), float(m.keys['y_std'])
    return ym + ys * mu, ys * np.sqrt(var)


def gp_closed_form(m, xtrain, ytrain, x):
    """The posterior of a GP with the model's hyper-parameters (theta) and
    scaling, from the raw training rows alone: nothing of the model's
    arrays is used."""
    d = m.int('d')
    theta = m.nums('theta')
    xm, xs = m.nums('x_mean'), m.nums('x_std')
    ym, ys = float(m.keys['y_mean']), float(m.keys['y_std'])
    X = (np.asarray(xtrain, np.float64).reshape(-1, d) - xm) / xs
    y = (np.asarray(ytrain, np.float64).reshape(-1) - ym) / ys
    z = (np.asarray(x, np.float64).reshape(-1, d) - xm) / xs
    K = _kern(m.keys['kernel'], theta, X, X) + \
        (np.exp(theta[d + 1]) + float(m.keys['jitter'])) * np.eye(len(X))
    ks = _kern(m.keys['kernel'], theta, z, X)
    mu = ks @ np.linalg.solve(K, y)
    var = np.exp(theta[d]) - np.einsum('ij,ji->i', ks, np.linalg.solve(K, ks.T))
    return ym + ys * mu, ys * np.sqrt(np.maximum(var, 0))
