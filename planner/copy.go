package planner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

var spoolCounter atomic.Int64

// copyOptions are COPY's WITH options.
type copyOptions struct {
	format    string // text | csv | binary
	header    bool
	delimiter string
	null      string
	quote     string
	escape    string
}

func parseCopyOptions(opts []*pg_query.Node) (copyOptions, error) {
	o := copyOptions{format: "text"}
	var delim, null, quote, escape *string
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		val := defElemString(d)
		switch strings.ToLower(d.Defname) {
		case "format":
			o.format = strings.ToLower(val)
			if o.format != "text" && o.format != "csv" && o.format != "binary" {
				return o, pgerror.New(pgerror.InvalidParameterValue, `COPY format "%s" not recognized`, val)
			}
		case "header":
			switch strings.ToLower(val) {
			case "", "true", "on", "1":
				o.header = true
			case "match":
				o.header = true
			}
		case "delimiter":
			delim = &val
		case "null":
			null = &val
		case "quote":
			quote = &val
		case "escape":
			escape = &val
		case "encoding":
			if !strings.EqualFold(strings.ReplaceAll(val, "-", ""), "utf8") {
				return o, pgerror.New(pgerror.FeatureNotSupported, "COPY encoding %s is not supported; featurehouse speaks UTF8", val)
			}
		case "freeze", "force_not_null", "force_null", "force_quote":
		default:
			return o, pgerror.New(pgerror.SyntaxError, `option "%s" not recognized`, d.Defname)
		}
	}
	switch o.format {
	case "csv":
		o.delimiter, o.null, o.quote = ",", "", `"`
	default:
		o.delimiter, o.null = "\t", `\N`
	}
	if delim != nil {
		if len(*delim) != 1 {
			return o, pgerror.New(pgerror.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
		}
		o.delimiter = *delim
	}
	if null != nil {
		o.null = *null
	}
	if quote != nil {
		o.quote = *quote
	}
	o.escape = o.quote
	if escape != nil {
		o.escape = *escape
	}
	return o, nil
}

func defElemString(d *pg_query.DefElem) string {
	if d.Arg == nil {
		return ""
	}
	switch a := d.Arg.Node.(type) {
	case *pg_query.Node_String_:
		return a.String_.Sval
	case *pg_query.Node_Integer:
		return fmt.Sprint(a.Integer.Ival)
	case *pg_query.Node_Boolean:
		if a.Boolean.Boolval {
			return "true"
		}
		return "false"
	case *pg_query.Node_AConst:
		if sv := a.AConst.GetSval(); sv != nil {
			return sv.Sval
		}
		if iv := a.AConst.GetIval(); iv != nil {
			return fmt.Sprint(iv.Ival)
		}
		if bv := a.AConst.GetBoolval(); bv != nil {
			if bv.Boolval {
				return "true"
			}
			return "false"
		}
	case *pg_query.Node_TypeName:
		return ""
	}
	return ""
}

func (s *Session) copyPlan(ctx context.Context, q *sql.Query, cs *pg_query.CopyStmt) (plan, error) {
	if cs.Filename != "" || cs.IsProgram {
		if cs.IsProgram {
			return s.copyProgramPlan(ctx, q, cs) // copy_program.go
		}
		if err := s.protectSystemObjects(&pg_query.Node{Node: &pg_query.Node_CopyStmt{CopyStmt: cs}}); err != nil {
			return nil, err
		}
		return s.duckdbPlan(ctx, q, nil)
	}
	opts, err := parseCopyOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, a := range cs.Attlist {
		if sv := a.GetString_(); sv != nil {
			cols = append(cols, sv.Sval)
		}
	}
	if cs.IsFrom {
		if cs.Relation == nil {
			return nil, pgerror.New(pgerror.SyntaxError, "COPY FROM needs a table")
		}
		if isSystemSchema(cs.Relation.Schemaname) {
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied for table %s", cs.Relation.Relname)
		}
		return &copyInPlan{s: s, rel: cs.Relation, cols: cols, opts: opts}, nil
	}
	var query string
	if cs.Query != nil {
		query, err = s.copyQueryText(ctx, q)
		if err != nil {
			return nil, err
		}
	} else {
		sel := "*"
		if len(cols) > 0 {
			qc := make([]string, len(cols))
			for i, c := range cols {
				qc[i] = quoteIdent(c)
			}
			sel = strings.Join(qc, ", ")
		}
		rel := quoteIdent(cs.Relation.Relname)
		if cs.Relation.Schemaname != "" {
			rel = quoteIdent(cs.Relation.Schemaname) + "." + rel
		}
		if g := s.lookupGroup(sql.QualifiedName{Schema: cs.Relation.Schemaname, Name: cs.Relation.Relname}); g != nil {
			rel = maskedRelationSQL(g, s.maskedFeatures(g), rel) + " AS " + quoteIdent(g.Name) // masking.go
		}
		query = "SELECT " + sel + " FROM " + rel
	}
	if opts.format == "binary" {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "COPY TO STDOUT (FORMAT binary) is not supported yet")
	}
	return &copyOutPlan{s: s, query: query, opts: opts}, nil
}

// copyQueryText extracts and rewrites the query of COPY (query) TO STDOUT.
func (s *Session) copyQueryText(ctx context.Context, q *sql.Query) (string, error) {
	text, err := s.rewriteQuery(ctx, q)
	if err != nil {
		return "", err
	}
	open := strings.IndexByte(text, '(')
	if open < 0 {
		return "", pgerror.New(pgerror.SyntaxError, "COPY query must be in parentheses")
	}
	depth, inStr := 0, false
	for i := open; i < len(text); i++ {
		c := text[i]
		switch {
		case inStr:
			if c == '\'' {
				inStr = false
			}
		case c == '\'':
			inStr = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return text[open+1 : i], nil
			}
		}
	}
	return "", pgerror.New(pgerror.SyntaxError, "unbalanced parentheses in COPY query")
}

// copyInPlan is COPY ... FROM STDIN.
type copyInPlan struct {
	s    *Session
	rel  *pg_query.RangeVar
	cols []string
	opts copyOptions
}

func (p *copyInPlan) describe(context.Context) ([]uint32, []types.Column, error) {
	return nil, nil, nil
}
func (p *copyInPlan) close() {}

func (p *copyInPlan) execute(ctx context.Context, _ []any) (any, error) {
	s := p.s
	target := &copyTarget{name: p.rel.Relname}
	if g := s.lookupGroup(sql.QualifiedName{Schema: p.rel.Schemaname, Name: p.rel.Relname}); g != nil {
		target.group = g
		for _, f := range g.Features {
			if f.Status != catalog.Retired {
				target.all = append(target.all, duckdb.Column{Name: f.Name, Type: f.DuckDBType})
			}
		}
	} else {
		cols, qualified, err := s.tableColumns(ctx, p.rel)
		if err != nil {
			return nil, err
		}
		target.all, target.table = cols, qualified
	}
	cols, err := target.pick(p.cols)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(s.p.engine.DataDir(), "tmp", fmt.Sprintf("copy-%d.csv", spoolCounter.Add(1)))
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create COPY spool: %w", err)
	}
	in := &CopyIn{s: s, target: target, cols: cols, opts: p.opts, path: path, file: f, buf: bufio.NewWriterSize(f, 1<<20)}
	typed := make([]types.Column, len(cols))
	for i, c := range cols {
		typed[i] = types.Column{Name: c.Name, Type: types.FromDuckDB(c.Type)}
	}
	switch p.opts.format {
	case "csv":
		in.spool = &passthrough{w: in.buf}
	case "binary":
		in.spool = &binaryToCSV{w: in.buf, cols: typed, relation: target.name}
	default:
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		in.spool = &textToCSV{w: in.buf, delim: p.opts.delimiter[0], null: p.opts.null, cols: names, relation: target.name}
	}
	return in, nil
}

// copyTarget is a group or an ordinary table.
type copyTarget struct {
	name  string
	group *catalog.Group
	table string // quoted qualified name of an ordinary table
	all   []duckdb.Column
}

func (t *copyTarget) pick(names []string) ([]duckdb.Column, error) {
	if len(names) == 0 {
		return t.all, nil
	}
	out := make([]duckdb.Column, 0, len(names))
	for _, n := range names {
		found := false
		for _, c := range t.all {
			if c.Name == n {
				out = append(out, c)
				found = true
				break
			}
		}
		if !found {
			return nil, pgerror.New(pgerror.UndefinedColumn, `column "%s" of relation "%s" does not exist`, n, t.name)
		}
	}
	return out, nil
}

// tableColumns reads an ordinary table's columns from DuckDB.
func (s *Session) tableColumns(ctx context.Context, rel *pg_query.RangeVar) ([]duckdb.Column, string, error) {
	name := quoteIdent(rel.Relname)
	if rel.Schemaname != "" {
		name = quoteIdent(rel.Schemaname) + "." + name
	}
	stmt, err := s.conn.Prepare(ctx, "SELECT * FROM "+name)
	if err != nil {
		return nil, "", err
	}
	defer stmt.Close()
	cols, ok := stmt.Columns()
	if !ok {
		return nil, "", pgerror.New(pgerror.InternalError, "could not read the columns of %s", rel.Relname)
	}
	return cols, name, nil
}

// CopyIn receives COPY FROM STDIN data into a spool file, then loads it.
type CopyIn struct {
	s      *Session
	target *copyTarget
	cols   []duckdb.Column
	opts   copyOptions
	path   string
	file   *os.File
	buf    *bufio.Writer
	spool  spoolWriter
	closed bool
}

// Binary reports FORMAT binary.
func (c *CopyIn) Binary() bool { return c.opts.format == "binary" }

// NumColumns is the number of columns copied.
func (c *CopyIn) NumColumns() int { return len(c.cols) }

// Write spools one CopyData payload.
func (c *CopyIn) Write(_ context.Context, data []byte) error {
	if err := c.spool.write(data); err != nil {
		c.s.failed()
		return err
	}
	return nil
}

// Fail discards the data.
func (c *CopyIn) Fail(context.Context, string) { c.cleanup() }

func (c *CopyIn) cleanup() {
	if !c.closed {
		c.closed = true
		_ = c.file.Close()
	}
	_ = os.Remove(c.path)
}

// Done loads the spooled rows: all of them or none.
func (c *CopyIn) Done(ctx context.Context) (tag string, err error) {
	defer c.cleanup()
	defer func() {
		if err != nil {
			c.s.failed()
		}
	}()
	if err := c.spool.finish(); err != nil {
		return "", err
	}
	if err := c.buf.Flush(); err != nil {
		return "", fmt.Errorf("write COPY spool: %w", err)
	}
	if pt, ok := c.spool.(*passthrough); ok && pt.trim > 0 {
		// psql and others end CSV data with a "\." line, which is not data.
		if st, err := c.file.Stat(); err == nil {
			if err := c.file.Truncate(st.Size() - pt.trim); err != nil {
				return "", fmt.Errorf("trim COPY spool: %w", err)
			}
		}
	}
	c.closed = true
	if err := c.file.Close(); err != nil {
		return "", fmt.Errorf("close COPY spool: %w", err)
	}
	conn := c.s.conn
	header := c.opts.header && c.opts.format != "binary"
	colNames := make([]string, len(c.cols))
	for i, col := range c.cols {
		colNames[i] = quoteIdent(col.Name)
	}
	if g := c.target.group; g != nil {
		layout := g.Layout()
		if cur := c.s.p.catalog.Lookup(g.Schema, g.Name); cur != nil {
			layout = cur.Layout()
		}
		stage, err := conn.CreateStage(ctx, &layout)
		if err != nil {
			return "", err
		}
		if err := c.load(ctx, stage, colNames, header); err != nil {
			conn.DropStage(ctx, stage)
			return "", err
		}
		offset := int64(1)
		if header {
			offset = 2
		}
		opt := duckdb.WriteOptions{
			InTransaction: c.s.inTxn(), StatementTime: now(),
			RowLabel: func(rowid int64) string { return fmt.Sprintf("line %d", rowid+offset) },
			Context:  func(rowid int64) string { return fmt.Sprintf("COPY %s, line %d", g.Name, rowid+offset) },
		}
		cur := g
		if lg := c.s.p.catalog.Lookup(g.Schema, g.Name); lg != nil {
			cur = lg
		}
		n, err := c.s.groupWrite(ctx, cur, &opt, func() (int64, error) { return conn.CommitStage(ctx, &layout, stage, opt) })
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("COPY %d", n), nil
	}
	n, err := c.loadCount(ctx, c.target.table, colNames, header)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("COPY %d", n), nil
}

// readCSV is the read_csv call over the spool with the given column types.
func (c *CopyIn) readCSV(types []string, header bool) string {
	cols := make([]string, len(c.cols))
	for i, col := range c.cols {
		cols[i] = duckdb.QuoteString(col.Name) + ": " + duckdb.QuoteString(types[i])
	}
	delim, quote, escape, null := ",", `"`, `"`, ""
	if c.opts.format == "csv" {
		delim, quote, escape, null = c.opts.delimiter, c.opts.quote, c.opts.escape, c.opts.null
	}
	return fmt.Sprintf("read_csv(%s, columns = {%s}, header = %t, delim = %s, quote = %s, escape = %s, nullstr = %s, allow_quoted_nulls = false, auto_detect = false, strict_mode = true, null_padding = false)",
		duckdb.QuoteString(c.path), strings.Join(cols, ", "), header, duckdb.QuoteString(delim), duckdb.QuoteString(quote),
		duckdb.QuoteString(escape), duckdb.QuoteString(null))
}

func (c *CopyIn) load(ctx context.Context, table string, colNames []string, header bool) error {
	_, err := c.loadCount(ctx, table, colNames, header)
	return err
}

func (c *CopyIn) loadCount(ctx context.Context, table string, colNames []string, header bool) (int64, error) {
	// read_csv reads text and the casts are explicit: DuckDB's CSV reader
	// turns a timestamp it cannot parse into NULL instead of failing.
	varchar := make([]string, len(c.cols))
	casts := make([]string, len(c.cols))
	for i, col := range c.cols {
		varchar[i] = "VARCHAR"
		casts[i] = castText(quoteIdent(col.Name), col.Type)
	}
	q := "INSERT INTO " + table + " (" + strings.Join(colNames, ", ") + ") SELECT " + strings.Join(casts, ", ") + " FROM " + c.readCSV(varchar, header)
	n, err := c.s.conn.Exec(ctx, q)
	if err == nil {
		return n, nil
	}
	if pgerror.CodeOf(err) == pgerror.QueryCanceled {
		return 0, err
	}
	if csvErr := c.csvError(err); csvErr != nil {
		return 0, csvErr
	}
	// Find the first bad line and column, as PostgreSQL names them.
	if located := c.locateBadValue(ctx, header); located != nil {
		return 0, located
	}
	e := pgerror.Wrap(err)
	if e.Code == pgerror.InternalError || e.Code == pgerror.InvalidParameterValue {
		e.Code = pgerror.BadCopyFileFormat
	}
	if e.Where == "" {
		e.Where = "COPY " + c.target.name
	}
	return 0, e
}

// locateBadValue re-reads the spool as text and finds the first value that
// does not cast to its column's type.
func (c *CopyIn) locateBadValue(ctx context.Context, header bool) error {
	varchar := make([]string, len(c.cols))
	for i := range varchar {
		varchar[i] = "VARCHAR"
	}
	conn := c.s.conn
	name := fmt.Sprintf("fh_copy_raw_%d", spoolCounter.Add(1))
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE "+name+" AS SELECT * FROM "+c.readCSV(varchar, header)); err != nil {
		return nil
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp."+name)
	offset := int64(1)
	if header {
		offset = 2
	}
	return castFailure(ctx, conn, "temp."+name, c.cols, func(rowid int64, col, val string) (string, string) {
		return "", fmt.Sprintf(`COPY %s, line %d, column %s: "%s"`, c.target.name, rowid+offset, col, val)
	})
}

// pgTypeDisplay is the name PostgreSQL uses in "invalid input syntax for type X".
func pgTypeDisplay(t types.Type) string {
	switch t.Name {
	case "int2":
		return "smallint"
	case "int4":
		return "integer"
	case "int8":
		return "bigint"
	case "float4":
		return "real"
	case "float8":
		return "double precision"
	case "bool":
		return "boolean"
	case "timestamptz":
		return "timestamp with time zone"
	case "timestamp":
		return "timestamp without time zone"
	}
	if strings.HasPrefix(t.Name, "_") {
		return pgTypeDisplay(types.Type{Name: t.Name[1:]}) + "[]"
	}
	return t.Name
}

// copyOutPlan is COPY ... TO STDOUT.
type copyOutPlan struct {
	s     *Session
	query string
	opts  copyOptions
}

func (p *copyOutPlan) describe(context.Context) ([]uint32, []types.Column, error) {
	return nil, nil, nil
}
func (p *copyOutPlan) close() {}

func (p *copyOutPlan) execute(ctx context.Context, _ []any) (any, error) {
	rows, err := p.s.conn.Query(ctx, p.query)
	if err != nil {
		return nil, err
	}
	return &CopyOut{s: p.s, rows: rows, cols: columnsOf(rows.Columns()), opts: p.opts, header: p.opts.header}, nil
}

// CopyOut produces COPY TO STDOUT data, one row per CopyData as
// PostgreSQL sends it (pgwire batches the messages into large writes).
type CopyOut struct {
	s      *Session
	rows   *duckdb.Rows
	cols   []types.Column
	opts   copyOptions
	header bool
	buf    []byte
	n      int64
	done   bool
}

// Binary reports FORMAT binary (never: refused at planning).
func (c *CopyOut) Binary() bool { return false }

// NumColumns is the number of columns.
func (c *CopyOut) NumColumns() int { return len(c.cols) }

// Next returns the next CopyData payload, or io.EOF.
func (c *CopyOut) Next(ctx context.Context) ([]byte, error) {
	if c.done {
		return nil, io.EOF
	}
	c.buf = c.buf[:0]
	if c.header {
		c.header = false
		for i, col := range c.cols {
			if i > 0 {
				c.buf = append(c.buf, c.opts.delimiter...)
			}
			c.buf = c.appendField(c.buf, []byte(col.Name))
		}
		c.buf = append(c.buf, '\n')
		// The header is a message of its own: clients (libpq, psycopg)
		// read one row per CopyData, as PostgreSQL sends them.
		return c.buf, nil
	}
	var scratch []byte
	for len(c.buf) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, duckdb.TranslateError(err)
		}
		row, err := c.rows.Next()
		if errors.Is(err, io.EOF) {
			c.done = true
			break
		}
		if err != nil {
			return nil, err
		}
		c.n++
		for i, v := range row {
			if i > 0 {
				c.buf = append(c.buf, c.opts.delimiter...)
			}
			if v == nil {
				c.buf = append(c.buf, c.opts.null...)
				continue
			}
			scratch, err = types.AppendText(scratch[:0], c.cols[i].Type, v, c.s.Options())
			if err != nil {
				return nil, err
			}
			c.buf = c.appendField(c.buf, scratch)
		}
		c.buf = append(c.buf, '\n')
	}
	if len(c.buf) == 0 {
		return nil, io.EOF
	}
	return c.buf, nil
}

func (c *CopyOut) appendField(buf, v []byte) []byte {
	if c.opts.format == "csv" {
		need := len(v) == 0 && c.opts.null == "" || string(v) == c.opts.null
		for _, ch := range v {
			if ch == c.opts.delimiter[0] || ch == c.opts.quote[0] || ch == '\n' || ch == '\r' {
				need = true
				break
			}
		}
		if !need {
			return append(buf, v...)
		}
		buf = append(buf, c.opts.quote...)
		for _, ch := range v {
			if ch == c.opts.quote[0] || ch == c.opts.escape[0] {
				buf = append(buf, c.opts.escape...)
			}
			buf = append(buf, ch)
		}
		return append(buf, c.opts.quote...)
	}
	for _, ch := range v {
		switch ch {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			if ch == c.opts.delimiter[0] {
				buf = append(buf, '\\')
			}
			buf = append(buf, ch)
		}
	}
	return buf
}

// Tag is "COPY n".
func (c *CopyOut) Tag() string { return fmt.Sprintf("COPY %d", c.n) }

// Close releases the query.
func (c *CopyOut) Close() error { return c.rows.Close() }

var (
	reCSVLine     = regexp.MustCompile(`CSV Error on Line: (\d+)`)
	reCSVOriginal = regexp.MustCompile(`(?m)^Original Line: (.*)$`)
	reCSVColumns  = regexp.MustCompile(`Expected Number of Columns: (\d+) Found: (\d+)`)
)

// csvError turns DuckDB's CSV reader errors into PostgreSQL's COPY errors.
func (c *CopyIn) csvError(err error) error {
	e, ok := pgerror.As(err)
	if !ok || e.Cause == nil {
		return nil
	}
	raw := e.Cause.Error()
	m := reCSVLine.FindStringSubmatch(raw)
	if m == nil {
		return nil
	}
	line, _ := strconv.Atoi(m[1])
	where := fmt.Sprintf("COPY %s, line %d", c.target.name, line)
	if o := reCSVOriginal.FindStringSubmatch(raw); o != nil {
		where += fmt.Sprintf(`: "%s"`, strings.ToValidUTF8(o[1], "?"))
	}
	out := pgerror.New(pgerror.BadCopyFileFormat, "%s", "invalid COPY data")
	switch {
	case strings.Contains(raw, "unterminated quote"):
		out.Message = "unterminated CSV quoted field"
	case strings.Contains(raw, "Invalid unicode"):
		out.Code, out.Message = pgerror.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8"`
		where = fmt.Sprintf("COPY %s, line %d", c.target.name, line)
	case reCSVColumns.MatchString(raw):
		cm := reCSVColumns.FindStringSubmatch(raw)
		want, _ := strconv.Atoi(cm[1])
		found, _ := strconv.Atoi(cm[2])
		if found > want {
			out.Message = "extra data after last expected column"
		} else if found < len(c.cols) {
			out.Message = fmt.Sprintf(`missing data for column "%s"`, c.cols[found].Name)
		}
	default:
		lines := strings.Split(raw, "\n")
		if len(lines) > 2 {
			out.Message = strings.TrimSpace(lines[2])
		}
	}
	out.Where = where
	out.Cause = err
	return out
}
