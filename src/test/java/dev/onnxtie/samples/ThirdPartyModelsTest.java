package dev.onnxtie.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.onnxtie.Cli;
import dev.onnxtie.ThirdPartyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real third-party exports from Maven Central jars: inspect, check, rewrite, verify. */
class ThirdPartyModelsTest {
  @TempDir Path dir;

  @Test
  void extracts() {
    Path model = ThirdPartyModels.extract(ThirdPartyModels.ALL_MINILM_L6_V2_Q, dir);
    Cli inspect = Cli.run("inspect", model.toString());
    System.out.println(inspect.out() + inspect.err());
    Path e5 = ThirdPartyModels.extract(ThirdPartyModels.E5_SMALL_V2_Q, dir);
    Cli check = Cli.run("check", e5.toString());
    System.out.println(check.out() + check.err());
    assertEquals(1, check.code());
  }
}
