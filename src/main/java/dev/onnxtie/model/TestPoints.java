package dev.onnxtie.model;

/**
 * Named steps of a write where fault tests stop a process to kill it ({@code
 * -Donnxtie.test.pauseAt=STEP}): the process says {@code onnx-tie: paused at STEP} on stderr and
 * waits to be killed. Never set outside tests; without the property each call is one property
 * lookup.
 */
public final class TestPoints {
  /** The system property that names the step to pause at. */
  public static final String PROPERTY = "onnxtie.test.pauseAt";

  private TestPoints() {}

  /** Pauses for good when the property names {@code step}. */
  public static void at(String step) {
    if (!step.equals(System.getProperty(PROPERTY))) {
      return;
    }
    System.err.println("onnx-tie: paused at " + step);
    System.err.flush();
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        // only a kill ends the pause
      }
    }
  }
}
