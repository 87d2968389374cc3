package dev.onnxtie.api;

/**
 * A model file of several that a command could not read, and why (the one-line reason it gives for
 * that file alone); the other files are still reported.
 *
 * @param path the file as given
 * @param reason the one-line reason (e.g. an IR version newer than this tool knows, a truncated
 *     file)
 */
public record RefusedFile(String path, String reason) {}
