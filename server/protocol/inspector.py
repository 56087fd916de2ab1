"""The backprop inspector's replies: `inspection` (eqs. 32-33, 12-15 and 30-31 for the probe
sample) and `gradcheck` (backpropagation against finite differences)."""

from typing import Literal

from pydantic import BaseModel, Field

from .fields import ActivationName, CostName, OptimizerName

Values = list[float | None]
Matrix = list[list[float | None]]


class LayerTrace(BaseModel):
    """One weight layer of an `inspection` for the probe sample (layer 0 is the paper's l = 1).

    Vectors are the sample's, matrices have W's shape (n_h, n_x); a value that is not finite
    is null. delta = backprop o phi_prime (eq. 13) on a hidden layer, delta = grad_a o
    phi_prime (eq. 12) on the output layer unless `fused`; a softmax layer's phi_prime is its
    Jacobian (n_h, n_h), `phi_prime_kind` "jacobian", and delta = phi_prime^T times the vector.
    """

    layer: int
    activation: ActivationName
    a_prev: Values = Field(description="a^(l-1), the layer's input (a^0 = the features)")
    W: Matrix
    b: Values
    z: Values = Field(description="eq. 32: W a_prev + b")
    a: Values = Field(description="eq. 33: phi(z)")
    delta: Values = Field(description="eqs. 12-13, as backpropagation computed it")
    dW_sample: Matrix = Field(description="eq. 15 for the sample: outer(delta, a_prev)")
    db_sample: Values = Field(description="eq. 14 for the sample: delta")
    dW_batch: Matrix = Field(
        description="the mean of dW_sample over the batch, plus the L1/L2 term if any"
    )
    db_batch: Values = Field(description="the mean of db_sample over the batch")
    W_after: Matrix = Field(description="eq. 30: W - learning_rate * dW_batch")
    b_after: Values = Field(description="eq. 31: b - learning_rate * db_batch")
    phi_prime: Values | Matrix = Field(description="phi'(z): a vector, or softmax's Jacobian")
    phi_prime_kind: Literal["diagonal", "jacobian"]
    backprop: Values | None = Field(
        description="hidden layers: (W^(l+1))^T delta^(l+1); null on the output layer"
    )
    grad_a: Values | None = Field(
        description="output layer: nabla_a C_x (eq. 25), huge near saturation; else null"
    )
    y: Values | None = Field(description="output layer: the sample's target; else null")
    fused: bool | None = Field(
        description="output layer: whether delta^L is the cost's closed form; else null"
    )
    fused_note: str | None = Field(description="why the closed form holds, when fused")


class Inspection(BaseModel):
    """The backprop inspector's answer to `inspect`: eqs. 32-33, 12-15 and 30-31 for the probe.

    `batch` lists the inspection mini-batch's training-sample indices (see `inspect`), the
    probe first; `sample` is the probe's row in it (0). Every number is the engine's own
    (`mlp_engine.inspection.trace`), at the weights after `epoch` epochs. `note` says what the
    shown update leaves out (another optimiser's step, the regularisation term), or is null.
    """

    type: Literal["inspection"] = "inspection"
    run: int
    epoch: int
    probe: int
    batch: list[int]
    sample: int
    batch_size: int
    learning_rate: float
    cost: CostName
    hidden_activation: ActivationName
    output_activation: ActivationName
    optimizer: OptimizerName
    loss: float | None = Field(description="the mini-batch's cost C, regularisation included")
    note: str | None
    layers: list[LayerTrace]


class GradcheckLayer(BaseModel):
    """One weight layer's gradient check: ||analytic - numeric|| / (||analytic|| + ||numeric||)
    for dC/dW and dC/db, and the largest absolute difference of the two. Null: not finite."""

    layer: int
    rel_error_W: float | None
    rel_error_b: float | None
    max_abs_error: float | None


class GradcheckReport(BaseModel):
    """The answer to `gradcheck`: backpropagation's dC/dW, dC/db (eqs. 12-15) on the
    inspection mini-batch `batch` against central finite differences of the cost with step
    `eps`; `passed` when the `worst` relative error is below `threshold`."""

    type: Literal["gradcheck"] = "gradcheck"
    run: int
    epoch: int
    batch: list[int]
    eps: float
    threshold: float
    worst: float | None
    passed: bool
    layers: list[GradcheckLayer]
