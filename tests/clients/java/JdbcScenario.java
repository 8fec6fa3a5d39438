import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.*;
import java.util.*;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** pgJDBC 42.5 against featurehouse, default settings (extended protocol,
 * binary transfer, prepareThreshold 5). Exits non-zero on the first wrong
 * answer. */
public class JdbcScenario {
    static void check(boolean ok, Object what) {
        if (!ok) throw new AssertionError(String.valueOf(what));
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        try (Connection c = DriverManager.getConnection(url, "featurehouse", "")) {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("DROP FEATURE GROUP IF EXISTS jg CASCADE");
                st.execute("CREATE FEATURE GROUP jg (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, score DOUBLE PRECISION) WITH (online = true)");
                st.execute("DROP TABLE IF EXISTS jt");
                st.execute("CREATE TABLE jt (b BOOLEAN, i2 SMALLINT, i4 INTEGER, i8 BIGINT, f4 REAL, f8 DOUBLE PRECISION, n NUMERIC(10,2), t TEXT, v VARCHAR(20), bt BYTEA, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, u UUID, j JSON, arr REAL[])");
            }
            // Writes through a PreparedStatement, more than prepareThreshold times.
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jg VALUES (?, ?, ?, ?)")) {
                for (int k = 0; k < 7; k++) {
                    ps.setString(1, "u" + (k % 3));
                    ps.setTimestamp(2, Timestamp.valueOf("2024-01-0" + (k + 1) + " 00:00:00"));
                    ps.setInt(3, 20 + k);
                    if (k == 2) ps.setNull(4, Types.DOUBLE); else ps.setDouble(4, k * 0.5);
                    ps.executeUpdate();
                }
            }
            c.commit();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jt VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::interval, ?, ?::json, ?)")) {
                ps.setBoolean(1, true); ps.setShort(2, (short) 7); ps.setInt(3, 1 << 20); ps.setLong(4, 1L << 40);
                ps.setFloat(5, 1.5f); ps.setDouble(6, 2.25); ps.setBigDecimal(7, new BigDecimal("12.34"));
                ps.setString(8, "text"); ps.setString(9, "varchar"); ps.setBytes(10, new byte[] {0, (byte) 255});
                ps.setDate(11, java.sql.Date.valueOf("2024-03-01")); ps.setTimestamp(12, Timestamp.valueOf("2024-03-01 12:34:56.789"));
                ps.setObject(13, java.time.OffsetDateTime.parse("2024-03-01T12:00:00Z"));
                ps.setString(14, "1 day 02:00:00"); ps.setObject(15, UUID.fromString("12345678-1234-5678-1234-567812345678"));
                ps.setString(16, "{\"a\": 1}"); ps.setArray(17, c.createArrayOf("float4", new Float[] {0.5f, 1.0f}));
                ps.executeUpdate();
            }
            c.commit();
            c.setAutoCommit(true);
            // Reads: AS OF a constant and now() (online), many executions (named server statements).
            try (PreparedStatement ps = c.prepareStatement("SELECT age, score FROM jg AS OF now() WHERE user_id = ?")) {
                for (int k = 0; k < 8; k++) {
                    ps.setString(1, "u0");
                    try (ResultSet rs = ps.executeQuery()) {
                        check(rs.next() && rs.getInt(1) == 26 && rs.getDouble(2) == 3.0 && !rs.next(), "online lookup " + k);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT user_id, age FROM jg AS OF ?::timestamptz ORDER BY user_id")) {
                ps.setString(1, "2024-01-02");
                try (ResultSet rs = ps.executeQuery()) {
                    List<String> got = new ArrayList<>();
                    while (rs.next()) got.add(rs.getString(1) + "=" + rs.getInt(2));
                    check(got.equals(List.of("u0=20", "u1=21")), got);
                }
            }
            for (int k = 0; k < 6; k++) {
                try (PreparedStatement ps = c.prepareStatement("SELECT * FROM jt"); ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "jt row");
                    check(rs.getBoolean("b") && rs.getShort("i2") == 7 && rs.getInt("i4") == (1 << 20) && rs.getLong("i8") == (1L << 40), "ints");
                    check(rs.getFloat("f4") == 1.5f && rs.getDouble("f8") == 2.25 && rs.getBigDecimal("n").compareTo(new BigDecimal("12.34")) == 0, "numbers");
                    check(rs.getString("t").equals("text") && rs.getString("v").equals("varchar") && Arrays.equals(rs.getBytes("bt"), new byte[] {0, (byte) 255}), "text/bytea");
                    check(rs.getDate("d").toString().equals("2024-03-01") && rs.getTimestamp("ts").toString().equals("2024-03-01 12:34:56.789"), "date/ts " + rs.getTimestamp("ts"));
                    check(rs.getObject("tz", java.time.OffsetDateTime.class).toInstant().toString().equals("2024-03-01T12:00:00Z"), "timestamptz");
                    check(rs.getString("iv").equals("1 day 02:00:00"), "interval " + rs.getString("iv"));
                    check(rs.getObject("u").toString().equals("12345678-1234-5678-1234-567812345678"), "uuid");
                    check(rs.getString("j").replace(" ", "").equals("{\"a\":1}"), "json " + rs.getString("j"));
                    Float[] arr = (Float[]) rs.getArray("arr").getArray();
                    check(arr.length == 2 && arr[0] == 0.5f && arr[1] == 1.0f, "real[]");
                }
            }
            // Metadata: feature groups are tables with their columns and types.
            DatabaseMetaData md = c.getMetaData();
            check(md.getDatabaseProductName().equals("PostgreSQL"), md.getDatabaseProductName());
            Set<String> tables = new TreeSet<>();
            try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
            check(tables.contains("jg:TABLE") && tables.contains("jt:TABLE"), tables);
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "jg", "%")) {
                while (rs.next()) cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME") + ":" + rs.getInt("DATA_TYPE"));
            }
            check(cols.equals(List.of("user_id:text:12", "event_time:timestamptz:93", "age:int4:4", "score:float8:8")), cols);
            try (ResultSet rs = md.getPrimaryKeys(null, "public", "jg")) { while (rs.next()) { } }
            Set<String> schemas = new TreeSet<>();
            try (ResultSet rs = md.getSchemas()) { while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM")); }
            check(schemas.contains("public") && schemas.contains("feature_store"), schemas);
            // Privileges: pgJDBC parses pg_class.relacl and pg_attribute.attacl.
            try (Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS jreader");
                st.execute("CREATE ROLE jreader");
                st.execute("GRANT SELECT ON FEATURE GROUP jg TO jreader WITH GRANT OPTION");
                st.execute("GRANT INSERT (age) ON FEATURE GROUP jg TO jreader");
            }
            Set<String> privs = new TreeSet<>();
            try (ResultSet rs = md.getTablePrivileges(null, "public", "jg")) {
                while (rs.next()) privs.add(rs.getString("GRANTEE") + ":" + rs.getString("PRIVILEGE") + ":" + rs.getString("IS_GRANTABLE"));
            }
            check(privs.contains("jreader:SELECT:YES") && privs.contains("featurehouse:DELETE:YES") && !privs.contains("jreader:INSERT:NO"), privs);
            Set<String> colPrivs = new TreeSet<>();
            try (ResultSet rs = md.getColumnPrivileges(null, "public", "jg", "age")) {
                while (rs.next()) colPrivs.add(rs.getString("GRANTEE") + ":" + rs.getString("PRIVILEGE"));
            }
            check(colPrivs.contains("jreader:INSERT") && colPrivs.contains("jreader:SELECT"), colPrivs);
            try (Statement st = c.createStatement()) {
                st.execute("REVOKE ALL ON FEATURE GROUP jg FROM jreader CASCADE");
                st.execute("DROP ROLE jreader");
            }
            int types = 0;
            try (ResultSet rs = md.getTypeInfo()) { while (rs.next()) types++; }
            check(types > 10, "getTypeInfo rows " + types);
            // COPY in and out.
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            long n = cm.copyIn("COPY jg FROM STDIN WITH (FORMAT csv)", new StringReader("u9,2024-02-01 00:00:00+00,50,1.5\nu9,2024-02-02 00:00:00+00,51,\n"));
            check(n == 2, "copyIn " + n);
            StringWriter out = new StringWriter();
            cm.copyOut("COPY (SELECT user_id, age FROM jg WHERE user_id = 'u9' ORDER BY age) TO STDOUT WITH (FORMAT csv)", out);
            check(out.toString().equals("u9,50\nu9,51\n"), out);
            // Statement.cancel() interrupts a long query with 57014.
            try (Statement st = c.createStatement()) {
                Thread t = new Thread(() -> {
                    try { Thread.sleep(500); st.cancel(); } catch (Exception e) { throw new RuntimeException(e); }
                });
                t.start();
                try {
                    st.executeQuery("SELECT count(*) FROM range(100000000000) a, range(10) b WHERE a.range % 7 = b.range");
                    check(false, "not cancelled");
                } catch (SQLException e) {
                    check("57014".equals(e.getSQLState()), "cancel SQLSTATE " + e.getSQLState() + " " + e.getMessage());
                }
                t.join();
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                check(rs.next() && rs.getInt(1) == 1, "usable after cancel");
            }
        }
        System.out.println("OK");
    }
}
