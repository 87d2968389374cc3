/**
 * onnx-tie: finds ONNX initializers that are exact copies or exact axis permutations of each other
 * and ties them back to one tensor. {@link dev.onnxtie.api.OnnxTie} is the library's facade; the
 * packages below it are model I/O ({@code model}), graph editing ({@code graph}), tie detection
 * ({@code tie}), rewrite passes ({@code pass}), ONNX Runtime verification ({@code verify}) and the
 * command line ({@code cli}).
 */
package dev.onnxtie;
