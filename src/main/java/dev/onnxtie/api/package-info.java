/**
 * The library's public API: {@link dev.onnxtie.api.OnnxTie} (one facade), its option records and
 * its result records. The command line is a thin layer over this package and nothing else.
 */
package dev.onnxtie.api;
