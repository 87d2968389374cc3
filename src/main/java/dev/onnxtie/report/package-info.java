/**
 * The HTML report of a rewrite ({@code rewrite --report}, {@code report A B}): one self-contained
 * page drawn from the same api records as {@code --json} (the summary, each tie, the verification)
 * plus each model's {@link dev.onnxtie.api.GraphOutline}, from which it cuts a bounded
 * neighbourhood of every tie before and after and lays it out with the Eclipse Layout Kernel.
 * Speaks api records only: no protobuf type reaches this package.
 */
package dev.onnxtie.report;
