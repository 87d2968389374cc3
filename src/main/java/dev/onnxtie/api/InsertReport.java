package dev.onnxtie.api;

import java.util.List;

/**
 * What {@code insert} did.
 *
 * @param input the model read
 * @param output the model written
 * @param changes layers added
 * @param notes what was added, one line each
 * @param verification the verification of the original outputs when one was asked for, else null
 */
public record InsertReport(
    String input, String output, int changes, List<String> notes, Verification verification) {}
