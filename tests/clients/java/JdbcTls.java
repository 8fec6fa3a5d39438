import java.lang.reflect.Field;
import java.net.Socket;
import java.sql.*;
import java.util.Properties;
import javax.net.ssl.SSLSocket;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutorBase;
import org.postgresql.jdbc.PgConnection;

/** pgJDBC 42.5 over TLS against featurehouse. Arguments: the TLS server's
 * port, the superuser's password, the test CA, a CA that did not sign the
 * server's certificate, and the port of a server without TLS. Prints OK,
 * exits non-zero on the first wrong answer. */
public class JdbcTls {
    static void check(boolean ok, Object what) {
        if (!ok) throw new AssertionError(String.valueOf(what));
    }

    /** The TLS protocol of c's socket; fails when the socket is plain
     * (pgJDBC does not expose it, so reflection reads the PGStream). */
    static String tlsProtocol(Connection c) throws Exception {
        Field f = QueryExecutorBase.class.getDeclaredField("pgStream");
        f.setAccessible(true);
        PGStream stream = (PGStream) f.get(c.unwrap(PgConnection.class).getQueryExecutor());
        Socket s = stream.getSocket();
        check(s instanceof SSLSocket, "socket is " + s.getClass() + ", not TLS");
        return ((SSLSocket) s).getSession().getProtocol();
    }

    static Connection connect(String url, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "featurehouse");
        p.setProperty("password", password);
        return DriverManager.getConnection(url, p);
    }

    static void use(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP FEATURE GROUP IF EXISTS tlsg CASCADE");
            st.execute("CREATE FEATURE GROUP tlsg (k TEXT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER)");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO tlsg VALUES (?, now(), ?)")) {
            ps.setString(1, "a"); ps.setInt(2, 41); ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT v + 1, current_user FROM tlsg WHERE k = ?")) {
            ps.setString(1, "a");
            try (ResultSet rs = ps.executeQuery()) {
                check(rs.next() && rs.getInt(1) == 42 && rs.getString(2).equals("featurehouse") && !rs.next(), "query over TLS");
            }
        }
    }

    static void mustFail(String url, String password, String sqlState, String why) {
        try (Connection c = connect(url, password)) {
            throw new AssertionError(why + ": connected to " + url);
        } catch (SQLException e) {
            check(sqlState.equals(e.getSQLState()), why + ": " + e.getSQLState() + " " + e.getMessage() + ", want " + sqlState);
            System.out.println("refused as expected (" + why + "): " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        String port = args[0], password = args[1], ca = args[2], otherCA = args[3], plainPort = args[4];
        // ssl=true with the non-validating factory: encrypted, not verified.
        String nonValidating = "jdbc:postgresql://127.0.0.1:" + port + "/featurehouse?ssl=true&sslfactory=org.postgresql.ssl.NonValidatingFactory";
        try (Connection c = connect(nonValidating, password)) {
            System.out.println("ssl=true NonValidatingFactory: " + tlsProtocol(c));
            use(c);
        }
        // verify-full: the certificate chains to the test CA and names the host.
        String verify = "jdbc:postgresql://localhost:" + port + "/featurehouse?sslmode=verify-full&sslrootcert=" + ca;
        try (Connection c = connect(verify, password)) {
            System.out.println("sslmode=verify-full: " + tlsProtocol(c));
            use(c);
        }
        // ssl=true alone is verify-full against ~/.postgresql/root.crt, which
        // the test CA is not.
        mustFail("jdbc:postgresql://localhost:" + port + "/featurehouse?ssl=true", password, "08006", "ssl=true without the test CA");
        mustFail("jdbc:postgresql://localhost:" + port + "/featurehouse?sslmode=verify-full&sslrootcert=" + otherCA, password, "08006", "verify-full, wrong CA");
        // The rules file admits TLS connections only.
        mustFail("jdbc:postgresql://127.0.0.1:" + port + "/featurehouse?sslmode=disable", password, "28000", "no TLS, hostssl rules");
        // A server without a certificate: sslmode=require fails.
        mustFail("jdbc:postgresql://127.0.0.1:" + plainPort + "/featurehouse?sslmode=require", "", "08004", "server without TLS");
        System.out.println("OK");
    }
}
