#!/usr/bin/python3
"""bench/peers.py: the data and the peers of bench/train.sh and bench/gp.sh.

    peers.py data N_TRAIN N_TEST SEED TRAIN.pal TEST.pal TRUTH.pal
        N_TRAIN rows of y = sum_j sin(3 x_j) + noise (sd 0.1), x uniform
        in [-1, 1]^8, as a labeled stream (id, x, y, status); N_TEST other
        rows (id, x) and their noise-free y (id, y) beside them.
    peers.py torch THREADS RUNS TRAIN.pal TEST.pal PRED.pal
        The committee of bench/train in PyTorch: prints train_s, infer_s
        (the best of RUNS), val_rmse and the calibration; writes the
        predictions (id, mean, std) of TEST.pal to PRED.pal.
    peers.py sklearn THREADS RUNS TRAIN.pal TEST.pal PRED.pal
        scikit-learn's GaussianProcessRegressor: prints fit_s, predict_s
        (the best of RUNS), the fitted kernel and its log marginal
        likelihood; writes PRED.pal likewise.
    peers.py rmse PRED.pal TRUTH.pal
        The RMSE of PRED's mean against TRUTH's y, row by row: the one
        function that scores both sides.

Times, wall (time.perf_counter) and CPU (time.process_time: user and
system, every thread), are taken inside the process around the work
alone, the least of RUNS runs each: the import of torch or sklearn and
the reading and writing of the files are not in them, which favours the
peer (pal's times are whole processes).  Output lines are "key value",
for the shell to read; "threads" is the thread count the peer runs (for
scikit-learn, that of its BLAS as threadpoolctl sees it).
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'share'))
import pal_stream as ps  # noqa: E402

D = 8
NOISE = 0.1


def truth(x):
    return np.sin(3 * x).sum(axis=1)


def cmd_data(n_train, n_test, seed, train, test, tru):
    rng = np.random.default_rng(int(seed))
    n_train, n_test = int(n_train), int(n_test)
    x = rng.uniform(-1, 1, (n_train, D))
    y = truth(x) + NOISE * rng.standard_normal(n_train)
    ps.write(train, {'id': np.arange(n_train, dtype=np.uint64), 'x': x,
                     'y': y.reshape(-1, 1),
                     'status': np.zeros(n_train, np.int32)})
    xt = rng.uniform(-1, 1, (n_test, D))
    ids = np.arange(n_train, n_train + n_test, dtype=np.uint64)
    ps.write(test, {'id': ids, 'x': xt})
    ps.write(tru, {'id': ids, 'y': truth(xt).reshape(-1, 1)})


def load_xy(path):
    cols, _ = ps.read_all(path)
    return cols['x'], cols['y'].reshape(len(cols['x']), -1)


def load_test(path):
    cols, _ = ps.read_all(path)
    return cols['id'], cols['x']


def write_pred(path, ids, mean, std):
    ps.write(path, {'id': ids, 'mean': mean.astype(np.float64).reshape(-1, 1),
                    'std': std.astype(np.float64).reshape(-1, 1)})


def cmd_torch(threads, runs, train, test, pred):
    import torch
    threads = int(threads)
    torch.set_num_threads(threads)
    M, H, EPOCHS, B, LR, VAL = 5, 64, 100, 64, 1e-3, 0.1
    x_all, y_all = load_xy(train)
    ids, xt = load_test(test)
    f32 = torch.float32

    def train_once():
        torch.manual_seed(0)
        n = len(x_all)
        perm = np.random.default_rng(0).permutation(n)
        nval = int(round(VAL * n))
        itr, iva = perm[nval:], perm[:nval]
        xs = (x_all[itr].mean(0), x_all[itr].std(0))
        ys = (y_all[itr].mean(0), y_all[itr].std(0))

        def std(v, sc):
            return torch.from_numpy(((v - sc[0]) / sc[1]).astype(np.float32))
        Xtr, Ytr = std(x_all[itr], xs), std(y_all[itr], ys)
        Xva, Yva = std(x_all[iva], xs), std(y_all[iva], ys)

        # The committee's weights stacked: layer l is W (M, in, out), b
        # (M, 1, out); Glorot uniform weights, zero biases, as pal-train's.
        widths = [D, H, H, 1]
        params = []
        for a, b in zip(widths[:-1], widths[1:]):
            r = (6.0 / (a + b)) ** 0.5
            W = (torch.rand(M, a, b, dtype=f32) * 2 - 1) * r
            params += [W.requires_grad_(),
                       torch.zeros(M, 1, b, dtype=f32, requires_grad=True)]
        W1, b1, W2, b2, W3, b3 = params

        def forward(x):
            # x (n, D), shared by the members; the members in batched
            # matmuls
            h = torch.tanh(torch.baddbmm(b1, x.expand(M, -1, -1), W1))
            h = torch.tanh(torch.baddbmm(b2, h, W2))
            return torch.baddbmm(b3, h, W3)  # (M, n, 1)

        opt = torch.optim.Adam(params, lr=LR)
        ntr = len(Xtr)
        for epoch in range(EPOCHS):
            order = torch.randperm(ntr)
            for s in range(0, ntr, B):
                idx = order[s:s + B]
                xb, yb = Xtr[idx], Ytr[idx]
                out = forward(xb)
                # each member's mean squared error, summed: member m's
                # gradient is that of its own loss
                loss = ((out - yb) ** 2).mean(dim=(1, 2)).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            with torch.no_grad():  # the validation loss, every epoch
                val_loss = ((forward(Xva) - Yva) ** 2).mean(dim=(1, 2))
        # calibration, as pal-train's: s so that the held-out z-scores of
        # the committee's mean have unit variance
        with torch.no_grad():
            o = forward(Xva)
            mu, sd = o.mean(0), o.std(0)
            cal = float(torch.sqrt(((Yva - mu) ** 2 / sd ** 2).mean()))
        val_rmse = float(torch.sqrt(((mu - Yva) ** 2).mean())) * ys[1][0]
        return (params, xs, ys, cal), val_rmse, float(val_loss.mean())

    def infer(model):
        # Every row of TEST through every member, in output units.  The
        # fastest found here: the first layer of all the members in one
        # matmul (the rows are shared), blocks of 512 rows into buffers
        # made once (fresh large tensors cost page faults), tanh in place:
        # 2 to 10 times faster than forward() on all the rows at once.
        (W1, b1, W2, b2, W3, b3), xs, ys, cal = model
        with torch.inference_mode():
            W1c = W1.permute(1, 0, 2).reshape(D, M * H).contiguous()
            b1c = b1.reshape(1, M * H)
            X = torch.from_numpy(((xt - xs[0]) / xs[1]).astype(np.float32))
            nt, CH = len(X), 512
            h1, h2 = torch.empty(CH, M * H), torch.empty(M, CH, H)
            o = torch.empty(M, nt, 1)
            for s in range(0, nt, CH):
                x = X[s:s + CH]
                n = len(x)
                a = torch.addmm(b1c, x, W1c, out=h1[:n]).tanh_()
                a = a.view(n, M, H).transpose(0, 1)
                a = torch.baddbmm(b2, a, W2, out=h2[:, :n]).tanh_()
                torch.baddbmm(b3, a, W3, out=o[:, s:s + n])
            o = o * float(ys[1][0]) + float(ys[0][0])
            mean, std = o.mean(0), o.std(0) * cal
            return mean.numpy(), std.numpy()

    t_train, t_infer, c_train, c_infer = [], [], [], []
    for r in range(int(runs)):
        t0, c0 = time.perf_counter(), time.process_time()
        model, val_rmse, val_loss = train_once()
        t1, c1 = time.perf_counter(), time.process_time()
        mean, std = infer(model)
        t2, c2 = time.perf_counter(), time.process_time()
        t_train.append(t1 - t0)
        t_infer.append(t2 - t1)
        c_train.append(c1 - c0)
        c_infer.append(c2 - c1)
    write_pred(pred, ids, mean, std)
    print('threads %d' % torch.get_num_threads())
    print('train_s %.3f' % min(t_train))
    print('infer_s %.3f' % min(t_infer))
    print('train_cpu %.3f' % min(c_train))
    print('infer_cpu %.3f' % min(c_infer))
    print('val_rmse %.4f' % val_rmse)
    print('val_loss %.4f' % val_loss)
    print('calibration %.3f' % model[3])


def cmd_sklearn(threads, runs, train, test, pred):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import (ConstantKernel, RBF,
                                                  WhiteKernel)
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(int(threads))
    blas = [i['num_threads'] for i in threadpool_info()
            if i['user_api'] == 'blas']
    x, y = load_xy(train)
    ids, xt = load_test(test)
    y = y[:, 0]
    t_fit, t_pred, c_fit, c_pred = [], [], [], []
    for r in range(int(runs)):
        t0, c0 = time.perf_counter(), time.process_time()
        # pal-train's start and bounds (gp.h: l_k, sf2 in [1e-3, 1e3],
        # sn2 in [1e-10, 10]), so both maximise the same function over the
        # same box
        kernel = (ConstantKernel(1.0, (1e-3, 1e3))
                  * RBF(length_scale=np.ones(D),
                        length_scale_bounds=(1e-3, 1e3))
                  + WhiteKernel(1e-2, (1e-10, 10)))
        gpr = GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                       n_restarts_optimizer=0, random_state=0)
        gpr.fit(x, y)
        t1, c1 = time.perf_counter(), time.process_time()
        # Predict in blocks of 10000 rows: one call on every row would hold
        # two (100k x n) f64 matrices; blocks are no slower.
        means, stds = [], []
        for s in range(0, len(xt), 10000):
            mu, sd = gpr.predict(xt[s:s + 10000], return_std=True)
            means.append(mu)
            stds.append(sd)
        mean, std = np.concatenate(means), np.concatenate(stds)
        t2, c2 = time.perf_counter(), time.process_time()
        t_fit.append(t1 - t0)
        t_pred.append(t2 - t1)
        c_fit.append(c1 - c0)
        c_pred.append(c2 - c1)
    write_pred(pred, ids, mean, std)
    print('threads %s' % ','.join(str(b) for b in blas))
    print('fit_s %.3f' % min(t_fit))
    print('predict_s %.3f' % min(t_pred))
    print('fit_cpu %.3f' % min(c_fit))
    print('predict_cpu %.3f' % min(c_pred))
    print('kernel %s' % str(gpr.kernel_).replace(' ', ''))
    print('lml %.3f' % gpr.log_marginal_likelihood_value_)


def cmd_rmse(pred, tru):
    p, _ = ps.read_all(pred)
    t, _ = ps.read_all(tru)
    if len(p['id']) != len(t['id']) or not np.array_equal(p['id'], t['id']):
        sys.exit('peers.py rmse: %s and %s do not hold the same rows'
                 % (pred, tru))
    mean = p['mean'].reshape(len(p['id']), -1)[:, 0]
    y = t['y'].reshape(len(t['id']), -1)[:, 0]
    print('%.4f' % float(np.sqrt(np.mean((mean - y) ** 2))))


def main(argv):
    cmds = {'data': (cmd_data, 6), 'torch': (cmd_torch, 5),
            'sklearn': (cmd_sklearn, 5), 'rmse': (cmd_rmse, 2)}
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        sys.exit('usage: peers.py data|torch|sklearn|rmse ARGS (see its head)')
    fn, _ = cmds[argv[1]]
    fn(*argv[2:])


if __name__ == '__main__':
    main(sys.argv)
