"""course.regularization: the NumPy batch norm matches nn.BatchNorm1d; l2_penalty matches weight_decay."""

import numpy as np
import pytest
import torch
from torch import nn

from course.regularization import batch_norm, l2_penalty


def _torch_bn(num_features: int, gamma: np.ndarray, beta: np.ndarray, momentum: float) -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(num_features, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    return bn


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_matches_torch_in_train_then_eval_mode(momentum):
    rng = np.random.default_rng(0)
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    bn = _torch_bn(3, gamma, beta, momentum)
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(2.0, 3.0, size=(8, 3))
        y, rm, rv = batch_norm(x, gamma, beta, rm, rv, training=True, momentum=momentum)
        expected = bn.train()(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(y, expected, atol=1e-10, err_msg="training-mode output differs")
        np.testing.assert_allclose(rm, bn.running_mean.numpy(), atol=1e-12, err_msg="running_mean differs")
        np.testing.assert_allclose(rv, bn.running_var.numpy(), atol=1e-12,
                                   err_msg="running_var differs (it must use the unbiased variance)")
    x = rng.normal(size=(5, 3))
    y, rm2, rv2 = batch_norm(x, gamma, beta, rm, rv, training=False, momentum=momentum)
    expected = bn.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(y, expected, atol=1e-10, err_msg="eval-mode output differs")
    np.testing.assert_array_equal(rm2, rm)
    np.testing.assert_array_equal(rv2, rv)


def test_batch_norm_worked_example_and_inputs_untouched():
    x = np.array([[1.0], [2.0], [3.0], [6.0]])
    rm, rv = np.zeros(1), np.ones(1)
    y, new_rm, new_rv = batch_norm(x, np.ones(1), np.zeros(1), rm, rv, eps=0.0)
    np.testing.assert_allclose(new_rm, [0.3])
    np.testing.assert_allclose(new_rv, [0.9 + 0.1 * 14 / 3])
    np.testing.assert_allclose(y.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(), 1.0)
    assert rm[0] == 0.0 and rv[0] == 1.0, "batch_norm must not modify the running statistics in place"


def test_batch_norm_rejects_a_single_sample_in_training():
    with pytest.raises(ValueError):
        batch_norm(np.ones((1, 2)), np.ones(2), np.zeros(2), np.zeros(2), np.ones(2))


def test_l2_penalty_gradient_equals_sgd_weight_decay():
    torch.manual_seed(0)
    lam, lr = 0.1, 0.05
    a = nn.Linear(4, 2)
    b = nn.Linear(4, 2)
    b.load_state_dict(a.state_dict())
    opt_a = torch.optim.SGD(a.parameters(), lr=lr, weight_decay=lam)
    opt_b = torch.optim.SGD(b.parameters(), lr=lr)
    x, y = torch.randn(16, 4), torch.randn(16, 2)
    for _ in range(5):
        for model, opt, extra in ((a, opt_a, False), (b, opt_b, True)):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            if extra:
                loss = loss + l2_penalty(model.parameters(), lam)
            loss.backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb)


def test_l2_penalty_value():
    w = torch.tensor([3.0, 4.0])
    assert l2_penalty([w], 0.2).item() == pytest.approx(0.5 * 0.2 * 25.0)
    with pytest.raises(ValueError):
        l2_penalty([], 0.1)
