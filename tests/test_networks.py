"""The generator's output heads: what training sees and what sampling decodes agree."""

import torch

from ganaug.encoders.tabular import Span
from ganaug.networks.mlp import OutputHeads

# tanh, softmax(3), tanh, softmax(2), softmax(3), softmax(2): mixed widths, interleaved
SPANS = [
    Span(0, 1, "tanh"),
    Span(1, 3, "softmax"),
    Span(4, 1, "tanh"),
    Span(5, 2, "softmax"),
    Span(7, 3, "softmax"),
    Span(10, 2, "softmax"),
]


def _confident_logits(choices: list[int], n: int = 4) -> torch.Tensor:
    """Logits whose softmax spans put all mass on ``choices`` (one per softmax span)."""
    logits = torch.full((n, 12), -50.0)
    logits[:, 0] = 0.3
    logits[:, 4] = -0.7
    softmax = [s for s in SPANS if s.activation == "softmax"]
    for span, choice in zip(softmax, choices):
        logits[:, span.start + choice] = 50.0
    return logits


def test_sample_codes_come_back_in_span_order():
    heads = OutputHeads(SPANS)
    choices = [2, 1, 0, 1]
    scalars, codes = heads.sample(_confident_logits(choices), torch.Generator().manual_seed(0))
    assert codes.tolist() == [choices] * 4
    torch.testing.assert_close(scalars, torch.tanh(torch.tensor([[0.3, -0.7]] * 4)))


def test_sample_agrees_with_the_argmax_of_the_dense_forward():
    heads = OutputHeads(SPANS)
    logits = _confident_logits([0, 0, 2, 1])
    dense = heads(logits)  # plain softmax: no noise
    _, codes = heads.sample(logits, torch.Generator().manual_seed(1))
    softmax = [s for s in SPANS if s.activation == "softmax"]
    expected = torch.stack([dense[:, s.start : s.stop].argmax(1) for s in softmax], dim=1)
    assert torch.equal(codes, expected)


def test_sampled_categories_follow_the_softmax_probabilities():
    heads = OutputHeads([Span(0, 2, "softmax")])
    # p(category 1) = sigmoid(log 3) = 0.75
    logits = torch.tensor([[0.0, float(torch.log(torch.tensor(3.0)))]]).repeat(20000, 1)
    _, codes = heads.sample(logits, torch.Generator().manual_seed(2))
    assert abs(codes.float().mean().item() - 0.75) < 0.02
