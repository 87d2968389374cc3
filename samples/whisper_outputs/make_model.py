"""Scenario 1 of issue 19, rebuilt small: ONNX Runtime GenAI's whisper dummy_decoder.onnx returns a
past-key-value output (present_value_self_0) that is a copy of another output (present_key_self_0).
The rewrite keeps the output's name through an Identity of the kept tensor; check on its output
passes. present_value_cross_0 is the same copy held in a Constant node (also an output).

    python3 make_model.py   # writes model.onnx beside this script (deterministic)
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(19)
present = rng.standard_normal((1, 4, 4, 96)).astype(np.float32)  # 6144 bytes
weight = rng.standard_normal((8, 8)).astype(np.float32)

graph = helper.make_graph(
    nodes=[
        helper.make_node("MatMul", ["input_ids_embeds", "decoder.weight"], ["logits"], name="MatMul_0"),
        helper.make_node("Constant", [], ["present_value_cross_0"], name="Constant_0",
                         value=numpy_helper.from_array(present, "present_value_cross_0")),
    ],
    name="dummy_decoder",
    inputs=[helper.make_tensor_value_info("input_ids_embeds", TensorProto.FLOAT, [1, 3, 8])],
    outputs=[
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, 8]),
        helper.make_tensor_value_info("present_key_self_0", TensorProto.FLOAT, [1, 4, 4, 96]),
        helper.make_tensor_value_info("present_value_self_0", TensorProto.FLOAT, [1, 4, 4, 96]),
        helper.make_tensor_value_info("present_value_cross_0", TensorProto.FLOAT, [1, 4, 4, 96]),
    ],
    initializer=[
        numpy_helper.from_array(weight, "decoder.weight"),
        numpy_helper.from_array(present, "present_key_self_0"),
        numpy_helper.from_array(present.copy(), "present_value_self_0"),
    ],
)
model = helper.make_model(graph, producer_name="onnx-tie samples/whisper_outputs", opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.onnx"))
