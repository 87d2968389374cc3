package dev.onnxtie.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The strict .npy reader, on files written by numpy 2 (base64 below) and on broken ones. */
class NpyTest {
  // np.save(np.arange(6, dtype='<f4').reshape(2, 3))
  static final String C_F4 =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=";
  // np.save(np.asfortranarray(np.arange(6, dtype='<i8').reshape(2, 3)))
  static final String F_I8 =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAMAAAAAAAAAAQAAAAAAAAAEAAAAAAAAAAIAAAAAAAAABQAAAAAAAAA=";
  // np.save(np.array([1.5, -2.25, 3.0], dtype='>f8'))
  static final String BE_F8 =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/+AAAAAAAAMACAAAAAAAAQAgAAAAAAAA=";
  // np.save(np.array([[True, False], [False, True]]))
  static final String BOOL =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAB";
  // np.save(np.array(['ab', 'xyz', 'é']))
  static final String U3 =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPFUzJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAphAAAAYgAAAAAAAAB4AAAAeQAAAHoAAADpAAAAAAAAAAAAAAA=";
  // np.save(np.array([1.0, -0.5, 65504.0, np.inf], dtype='<f2'))
  static final String F2 =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPAC4/3sAfA==";
  // np.save(np.array([4000000000, 7], dtype='<u4'))
  static final String U4 =
      "k05VTVBZAQB2AHsnZGVzY3InOiAnPHU0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAKGvuBwAAAA==";

  static HostTensor parse(String base64) {
    return Npy.parse(Base64.getDecoder().decode(base64), "test.npy");
  }

  static double[] values(HostTensor tensor) {
    double[] values = new double[(int) tensor.elements()];
    for (int i = 0; i < values.length; i++) {
      values[i] = tensor.scalar(i);
    }
    return values;
  }

  @Test
  void readsCOrderFloat32() {
    HostTensor tensor = parse(C_F4);
    assertEquals(DataType.FLOAT, tensor.type());
    assertArrayEquals(new long[] {2, 3}, tensor.shape());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, values(tensor));
  }

  @Test
  void reordersFortranOrderToCOrder() {
    HostTensor tensor = parse(F_I8);
    assertEquals(DataType.INT64, tensor.type());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, values(tensor));
  }

  @Test
  void swapsBigEndianToLittleEndian() {
    HostTensor tensor = parse(BE_F8);
    assertEquals(DataType.DOUBLE, tensor.type());
    assertArrayEquals(new double[] {1.5, -2.25, 3.0}, values(tensor));
  }

  @Test
  void readsBoolStringsHalfAndUnsigned() {
    assertArrayEquals(new double[] {1, 0, 0, 1}, values(parse(BOOL)));
    assertEquals(DataType.BOOL, parse(BOOL).type());
    HostTensor strings = parse(U3);
    assertEquals(DataType.STRING, strings.type());
    assertEquals(Arrays.asList("ab", "xyz", "é"), Arrays.asList(strings.strings()));
    HostTensor half = parse(F2);
    assertEquals(DataType.FLOAT16, half.type());
    assertArrayEquals(new double[] {1.0, -0.5, 65504.0, Double.POSITIVE_INFINITY}, values(half));
    HostTensor unsigned = parse(U4);
    assertEquals(DataType.UINT32, unsigned.type());
    assertArrayEquals(new double[] {4_000_000_000.0, 7}, values(unsigned));
  }

  @Test
  void helperWritesTheSameHeaderAsNumpy() {
    byte[] made =
        VerifyModels.npy(
            "<f4",
            false,
            new long[] {2, 3},
            VerifyModels.floats(ByteOrder.LITTLE_ENDIAN, 0, 1, 2, 3, 4, 5));
    assertArrayEquals(Base64.getDecoder().decode(C_F4), made);
  }

  @Test
  void refusesBrokenAndUnsupportedFiles() {
    byte[] good = Base64.getDecoder().decode(C_F4);
    OnnxTieException truncated =
        assertThrows(
            OnnxTieException.class, () -> Npy.parse(Arrays.copyOf(good, good.length - 1), "t.npy"));
    assertTrue(
        truncated.getMessage().contains("23 data bytes")
            && truncated.getMessage().contains("need 24"),
        truncated.getMessage());
    byte[] longer = Arrays.copyOf(good, good.length + 4);
    assertThrows(OnnxTieException.class, () -> Npy.parse(longer, "t.npy"));
    OnnxTieException object =
        assertThrows(
            OnnxTieException.class,
            () -> Npy.parse(VerifyModels.npy("|O", false, new long[] {1}, new byte[8]), "o.npy"));
    assertTrue(object.getMessage().contains("'|O'"), object.getMessage());
    assertThrows(OnnxTieException.class, () -> Npy.parse("not numpy at all".getBytes(), "x.npy"));
    OnnxTieException badBool =
        assertThrows(
            OnnxTieException.class,
            () ->
                Npy.parse(
                    VerifyModels.npy("|b1", false, new long[] {2}, new byte[] {1, 7}), "b.npy"));
    assertEquals(OnnxTieException.BAD_INPUT, badBool.exitCode());
  }
}
