/**
 * Verification: runs two ONNX models (or one model and an ONNX test-layout data set) in ONNX
 * Runtime on the same inputs and compares every output, bitwise and within tolerances.
 *
 * <p>This package owns everything between a model file and a {@link dev.onnxtie.api.Verification}
 * (the api's records, the one report tree: this package builds them and depends on nothing else of
 * the api): the ONNX Runtime environment and sessions ({@link dev.onnxtie.verify.Verifier}), the
 * choice of execution provider and optimization level, the inputs (synthesized by {@link
 * dev.onnxtie.verify.InputSynthesizer}, or read from {@code .npy} and {@code .pb} files), and the
 * element-wise comparison of outputs. Protobuf types are used here only to read the model's graph
 * interface and {@code .pb} data files; nothing in this package changes a model.
 */
package dev.onnxtie.verify;
