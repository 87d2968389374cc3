package dev.onnxtie.maven;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.maven.plugin.MojoExecutionException;

/** The model files a goal works on: glob patterns relative to a folder, in path order. */
final class Models {
  private Models() {}

  /**
   * The regular files under {@code base} whose path relative to it (with '/') matches one of the
   * patterns, sorted.
   */
  static List<Path> find(Path base, List<String> patterns) throws MojoExecutionException {
    List<PathMatcher> matchers = new ArrayList<>();
    for (String pattern : patterns) {
      matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
      // '**/' also matches no folder at all, as in Maven's includes: src/main/resources/**/*.onnx
      // matches src/main/resources/model.onnx too
      String noFolder = pattern.replace("/**/", "/");
      if (noFolder.startsWith("**/")) {
        noFolder = noFolder.substring(3);
      }
      if (!noFolder.equals(pattern)) {
        matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + noFolder));
      }
    }
    if (!Files.isDirectory(base)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(base)) {
      return files
          .filter(Files::isRegularFile)
          .filter(
              file -> {
                Path relative = base.relativize(file);
                return matchers.stream().anyMatch(matcher -> matcher.matches(relative));
              })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new MojoExecutionException("cannot list the models under " + base + ": " + e, e);
    }
  }
}
