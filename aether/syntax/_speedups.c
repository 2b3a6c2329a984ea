/* The optional compiled LALR(1) loop of aether.syntax.lalr (docs/benchmarks.md, issue 15).
 *
 * It does exactly what Parser.parse in lalr.py does, over the same generated tables
 * (aether/syntax/_tables.py, from grammar/aether.lark): integer-coded actions in one dense
 * array, the rules' reducers called as they are in Python, unit-rule chains walked in C.
 * It also defines Tok, the token object a rule keeps, as a C type (making one from Python
 * costs about ten times as much), and Scan, the common tokens of lexer.py's scanner
 * scanned by hand (everything else is handed back to the Python scanner). Built when a C compiler is present (hatch_build.py);
 * without it, or with AETHER_PURE_PYTHON=1, lalr.py runs its own loop. The test suite
 * checks that both give identical trees and errors (tests/test_compiled_parser.py).
 * It also holds legacy_tokenize, the migrator's legacy-dialect tokenizer
 * (aether/migrate/tokens.py) in C, checked against the Python one by
 * tests/test_migrate_tokens_compiled.py.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* ------------------------------------------------------------------ Tok */

typedef struct {
    PyObject_HEAD
    PyObject *type, *value, *pos, *line, *column, *end_line, *end_column;
} TokObject;

static PyMemberDef Tok_members[] = {
    {"type", T_OBJECT_EX, offsetof(TokObject, type), 0, NULL},
    {"value", T_OBJECT_EX, offsetof(TokObject, value), 0, NULL},
    {"pos", T_OBJECT_EX, offsetof(TokObject, pos), 0, NULL},
    {"line", T_OBJECT_EX, offsetof(TokObject, line), 0, NULL},
    {"column", T_OBJECT_EX, offsetof(TokObject, column), 0, NULL},
    {"end_line", T_OBJECT_EX, offsetof(TokObject, end_line), 0, NULL},
    {"end_column", T_OBJECT_EX, offsetof(TokObject, end_column), 0, NULL},
    {NULL}
};

static PyTypeObject TokType;

static PyObject *
tok_from_tuple(PyObject *t)
{
    TokObject *self = PyObject_New(TokObject, &TokType);
    if (self == NULL)
        return NULL;
    PyObject **fields = &self->type;
    for (Py_ssize_t i = 0; i < 7; i++) {
        PyObject *v = PyTuple_GET_ITEM(t, i);
        Py_INCREF(v);
        fields[i] = v;
    }
    return (PyObject *)self;
}

static PyObject *
Tok_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"type_", "value", "pos", "line", "column", "end_line",
                             "end_column", NULL};
    PyObject *f[7];
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOO:Tok", kwlist,
                                     &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]))
        return NULL;
    TokObject *self = (TokObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    PyObject **fields = &self->type;
    for (int i = 0; i < 7; i++) {
        Py_INCREF(f[i]);
        fields[i] = f[i];
    }
    return (PyObject *)self;
}

static void
Tok_dealloc(TokObject *self)
{
    Py_XDECREF(self->type);
    Py_XDECREF(self->value);
    Py_XDECREF(self->pos);
    Py_XDECREF(self->line);
    Py_XDECREF(self->column);
    Py_XDECREF(self->end_line);
    Py_XDECREF(self->end_column);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Tok_repr(TokObject *self)
{
    return PyUnicode_FromFormat("Tok(%S, %R, %S:%S)", self->type, self->value, self->line,
                                self->column);
}

/* Tok(*fields) again: copy, deepcopy and pickle take a Tok as they take lalr.py's (a
 * token is in an UnexpectedToken, which may cross a process boundary). */
static PyObject *
Tok_reduce(TokObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject **f = &self->type;
    for (int i = 0; i < 7; i++) {
        if (f[i] == NULL) {  /* a field deleted: what lalr.Tok's pickling raises too */
            PyErr_SetString(PyExc_AttributeError, "Tok: a field is not set");
            return NULL;
        }
    }
    return Py_BuildValue("O(OOOOOOO)", Py_TYPE(self), f[0], f[1], f[2], f[3], f[4], f[5],
                         f[6]);
}

static PyMethodDef Tok_methods[] = {
    {"__reduce__", (PyCFunction)Tok_reduce, METH_NOARGS, NULL},
    {NULL}
};

static PyTypeObject TokType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aether.syntax._speedups.Tok",
    .tp_doc = "A token a rule keeps: type (terminal name), value and its span "
              "(1-based, end exclusive).",
    .tp_basicsize = sizeof(TokObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Tok_new,
    .tp_dealloc = (destructor)Tok_dealloc,
    .tp_repr = (reprfunc)Tok_repr,
    .tp_members = Tok_members,
    .tp_methods = Tok_methods,
};

/* ------------------------------------------------------------------ Maker */

/* Maker(cls, fields, defaults, interned): a callable making ``cls(*args)`` the way its
 * ``__init__`` does when that __init__ only stores each argument in the slot of the same
 * name (interning the str values of the fields ``interned`` flags), at a fraction of the
 * cost: no Python frame, no ``object.__setattr__`` per field. aether/syntax/builder.py
 * checks each AST node class's __init__ is such a one before making its Maker (else it
 * calls the class), and the tests compare trees built both ways. ``defaults`` are those
 * of the last fields. Positional arguments only. */
typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    Py_ssize_t n, required;
    Py_ssize_t *offsets;   /* each field's slot in an instance */
    char *interned;        /* per field: a str value is interned */
    PyObject *defaults;    /* tuple: the values of the last n - required fields */
    vectorcallfunc vectorcall;
} MakerObject;

static PyTypeObject MakerType;

static void
Maker_dealloc(MakerObject *self)
{
    Py_XDECREF(self->cls);
    Py_XDECREF(self->defaults);
    PyMem_Free(self->offsets);
    PyMem_Free(self->interned);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A new ``cls`` instance from ``n`` values (taken from ``args``, then the defaults). */
static PyObject *
maker_make(MakerObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < self->required || nargs > self->n) {
        PyErr_Format(PyExc_TypeError, "%s() takes from %zd to %zd arguments (%zd given)",
                     self->cls->tp_name, self->required, self->n, nargs);
        return NULL;
    }
    PyObject *obj = self->cls->tp_alloc(self->cls, 0);
    if (obj == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        PyObject *v = i < nargs ? args[i] :
            PyTuple_GET_ITEM(self->defaults, i - self->required);
        Py_INCREF(v);
        if (self->interned[i] && PyUnicode_CheckExact(v))
            PyUnicode_InternInPlace(&v);
        PyObject **slot = (PyObject **)((char *)obj + self->offsets[i]);
        Py_XSETREF(*slot, v);
    }
    return obj;
}

static PyObject *
Maker_vectorcall(MakerObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_SetString(PyExc_TypeError, "Maker: positional arguments only");
        return NULL;
    }
    return maker_make(self, args, PyVectorcall_NARGS(nargsf));
}

static PyObject *
Maker_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *cls, *fields, *defaults, *interned;
    if (!PyArg_ParseTuple(args, "O!O!O!O!:Maker", &PyType_Type, &cls, &PyTuple_Type, &fields,
                          &PyTuple_Type, &defaults, &PyTuple_Type, &interned))
        return NULL;
    PyTypeObject *tp = (PyTypeObject *)cls;
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    /* Instances are made with tp_alloc alone: only for classes whose making is
     * object's (no __new__ of their own, no instance dict to fill, no variable size). */
    if (tp->tp_new != PyBaseObject_Type.tp_new || tp->tp_itemsize != 0 ||
            tp->tp_dictoffset != 0 || PyTuple_GET_SIZE(interned) != n ||
            PyTuple_GET_SIZE(defaults) > n) {
        PyErr_SetString(PyExc_TypeError, "Maker: not a class of plain slotted instances");
        return NULL;
    }
    MakerObject *self = (MakerObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(cls);
    self->cls = tp;
    Py_INCREF(defaults);
    self->defaults = defaults;
    self->n = n;
    self->required = n - PyTuple_GET_SIZE(defaults);
    self->vectorcall = (vectorcallfunc)Maker_vectorcall;
    self->offsets = PyMem_Calloc(n + 1, sizeof(Py_ssize_t));
    self->interned = PyMem_Calloc(n + 1, 1);
    if (!self->offsets || !self->interned) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(fields, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "Maker: a field name is a str");
            goto fail;
        }
        /* the slot's member descriptor: an object slot of cls or one of its bases */
        PyObject *descr = _PyType_Lookup(tp, name);
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            PyErr_Format(PyExc_TypeError, "Maker: %R is not a slot", name);
            goto fail;
        }
        PyMemberDescrObject *m = (PyMemberDescrObject *)descr;
        if (m->d_member->type != T_OBJECT_EX || (m->d_member->flags & READONLY) ||
                !PyType_IsSubtype(tp, m->d_common.d_type) || m->d_member->offset < 0 ||
                m->d_member->offset + (Py_ssize_t)sizeof(PyObject *) > tp->tp_basicsize) {
            PyErr_Format(PyExc_TypeError, "Maker: %R is not an object slot", name);
            goto fail;
        }
        self->offsets[i] = m->d_member->offset;
        int flag = PyObject_IsTrue(PyTuple_GET_ITEM(interned, i));
        if (flag < 0)
            goto fail;
        self->interned[i] = (char)flag;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyObject *
Maker_get_cls(MakerObject *self, void *closure)
{
    Py_INCREF(self->cls);
    return (PyObject *)self->cls;
}

static PyGetSetDef Maker_getset[] = {
    {"cls", (getter)Maker_get_cls, NULL, "the class whose instances this makes", NULL},
    {NULL}
};

static PyTypeObject MakerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aether.syntax._speedups.Maker",
    .tp_doc = "Makes instances of a slotted class whose __init__ only stores its arguments.",
    .tp_basicsize = sizeof(MakerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = Maker_new,
    .tp_dealloc = (destructor)Maker_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(MakerObject, vectorcall),
    .tp_getset = Maker_getset,
};

/* ------------------------------------------------------------------ Engine */

#define NO_ACTION INT_MIN

/* How a rule's children become its value (lalr.py, _make_reducer, does the same). */
enum {
    RULE_UNIT,      /* a unit rule: the value is left as it is (reducer NULL) */
    RULE_INLINE,    /* an `_`-rule: the collected children, spliced into the parent */
    RULE_CALL,      /* callback(collected children) */
    RULE_EXPAND1,   /* a `?rule`: the one collected child, else callback(children) */
    RULE_PYTHON,    /* reducer(children as they are): the Python reducer decides */
    RULE_TOKEN      /* `name: NAME`: a node made by a Maker from the one token's span and
                     * its value or constants, calling no Python (when the child is not a
                     * token, which tables.py never makes: as RULE_CALL) */
};
enum { KEEP = 0, DROP = 1, SPLICE = 2 };  /* tables.py */

typedef struct {
    PyObject_HEAD
    int n_states, n_symbols, start, end;
    int *actions;          /* actions[state * n_symbols + symbol]: >= 0 goto, < 0 ~rule */
    int n_rules;
    int *rule_size;
    int *rule_origin;      /* symbol id of the rule's origin */
    PyObject **reducer;    /* the callback (NULL for RULE_UNIT and RULE_INLINE) */
    PyObject **extra;      /* RULE_TOKEN: (Maker, the node's fields after the span as a
                            * tuple, or None for the token's value) */
    int *rule_kind;        /* RULE_*: how the children become the value */
    char **rule_modes;     /* per rule: KEEP / DROP / SPLICE of each child */
    char *kept;            /* per symbol: a rule keeps this terminal's token */
    PyObject *symbols;     /* dict: symbol name -> id */
    PyObject *on_error;    /* on_error(token tuple, state stack tuple): raises */
} EngineObject;

/* The engine refers to the parser that made it (on_error) and the parser to the engine: a
 * cycle, so the engine takes part in garbage collection. */
static int
Engine_traverse(EngineObject *self, visitproc visit, void *arg)
{
    if (self->reducer) {
        for (int i = 0; i < self->n_rules; i++)
            Py_VISIT(self->reducer[i]);
    }
    if (self->extra) {
        for (int i = 0; i < self->n_rules; i++)
            Py_VISIT(self->extra[i]);
    }
    Py_VISIT(self->symbols);
    Py_VISIT(self->on_error);
    return 0;
}

static int
Engine_clear(EngineObject *self)
{
    if (self->reducer) {
        for (int i = 0; i < self->n_rules; i++)
            Py_CLEAR(self->reducer[i]);
    }
    if (self->extra) {
        for (int i = 0; i < self->n_rules; i++)
            Py_CLEAR(self->extra[i]);
    }
    Py_CLEAR(self->symbols);
    Py_CLEAR(self->on_error);
    return 0;
}

static void
Engine_dealloc(EngineObject *self)
{
    PyObject_GC_UnTrack(self);
    if (self->reducer) {
        for (int i = 0; i < self->n_rules; i++)
            Py_XDECREF(self->reducer[i]);
    }
    if (self->extra) {
        for (int i = 0; i < self->n_rules; i++)
            Py_XDECREF(self->extra[i]);
    }
    if (self->rule_modes) {
        for (int i = 0; i < self->n_rules; i++)
            PyMem_Free(self->rule_modes[i]);
    }
    PyMem_Free(self->rule_modes);
    PyMem_Free(self->rule_kind);
    PyMem_Free(self->actions);
    PyMem_Free(self->rule_size);
    PyMem_Free(self->rule_origin);
    PyMem_Free(self->reducer);
    PyMem_Free(self->extra);
    PyMem_Free(self->kept);
    Py_XDECREF(self->symbols);
    Py_XDECREF(self->on_error);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The symbol id of ``name`` in ``symbols`` (numbered in order of first sight), or -1. */
static int
symbol_id(PyObject *symbols, PyObject *name)
{
    PyObject *id = PyDict_GetItemWithError(symbols, name);
    if (id != NULL)
        return (int)PyLong_AsLong(id);
    if (PyErr_Occurred())
        return -1;
    Py_ssize_t n = PyDict_GET_SIZE(symbols);
    id = PyLong_FromSsize_t(n);
    if (id == NULL || PyDict_SetItem(symbols, name, id) < 0) {
        Py_XDECREF(id);
        return -1;
    }
    Py_DECREF(id);
    return (int)n;
}

/* Engine(states: tuple of dicts {symbol: code} (tables.py), rules: tuple of (size,
 *        callback or None, origin name, kind, modes bytes; for RULE_TOKEN the callback
 *        is (callback, Maker, tuple of constants or None)), kept: the terminals a rule
 *        keeps (a set), start, end, on_error). Made once per process: the tables are
 *        numbered here, in C, to keep start-up short. */
static PyObject *
Engine_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *states, *rules, *kept_set, *on_error;
    int start, end;
    if (!PyArg_ParseTuple(args, "O!O!OiiO:Engine", &PyTuple_Type, &states, &PyTuple_Type,
                          &rules, &kept_set, &start, &end, &on_error))
        return NULL;
    EngineObject *self = (EngineObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->symbols = PyDict_New();
    if (self->symbols == NULL)
        goto fail;
    Py_ssize_t n_states = PyTuple_GET_SIZE(states);
    for (Py_ssize_t i = 0; i < n_states; i++) {
        PyObject *row = PyTuple_GET_ITEM(states, i), *key, *code;
        Py_ssize_t pos = 0;
        if (!PyDict_Check(row)) {
            PyErr_SetString(PyExc_TypeError, "Engine: a state is a dict");
            goto fail;
        }
        while (PyDict_Next(row, &pos, &key, &code)) {
            if (symbol_id(self->symbols, key) < 0)
                goto fail;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(rules); i++) {
        PyObject *rule = PyTuple_GET_ITEM(rules, i);
        if (!PyTuple_Check(rule) || PyTuple_GET_SIZE(rule) != 5) {
            PyErr_SetString(PyExc_TypeError, "Engine: a rule is a 5-tuple");
            goto fail;
        }
        if (symbol_id(self->symbols, PyTuple_GET_ITEM(rule, 2)) < 0)
            goto fail;
    }
    PyObject *end_name = PyUnicode_FromString("$END");
    if (end_name == NULL)
        goto fail;
    int end_id = symbol_id(self->symbols, end_name);
    Py_DECREF(end_name);
    if (end_id < 0)
        goto fail;
    Py_ssize_t n_symbols = PyDict_GET_SIZE(self->symbols);
    self->n_symbols = (int)n_symbols;
    self->n_states = (int)n_states;
    self->start = start;
    self->end = end;
    if (start < 0 || start >= n_states || end < 0 || end >= n_states) {
        PyErr_SetString(PyExc_ValueError, "Engine: start or end state out of range");
        goto fail;
    }
    self->actions = PyMem_Malloc(n_states * n_symbols * sizeof(int));
    self->kept = PyMem_Calloc(n_symbols, 1);
    if (!self->actions || !self->kept) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n_states * n_symbols; i++)
        self->actions[i] = NO_ACTION;
    for (Py_ssize_t i = 0; i < n_states; i++) {
        PyObject *row = PyTuple_GET_ITEM(states, i), *key, *code;
        Py_ssize_t pos = 0;
        while (PyDict_Next(row, &pos, &key, &code)) {
            long c = PyLong_AsLong(code);
            if (c == -1 && PyErr_Occurred())
                goto fail;
            if (c >= n_states) {
                PyErr_SetString(PyExc_ValueError, "Engine: a goto past the last state");
                goto fail;
            }
            if (c < 0 && ~c >= PyTuple_GET_SIZE(rules)) {
                PyErr_SetString(PyExc_ValueError, "Engine: a reduction by no rule");
                goto fail;
            }
            self->actions[i * n_symbols + symbol_id(self->symbols, key)] = (int)c;
        }
    }
    {
        PyObject *key, *id;
        Py_ssize_t pos = 0;
        while (PyDict_Next(self->symbols, &pos, &key, &id)) {
            int has = PySequence_Contains(kept_set, key);
            if (has < 0)
                goto fail;
            self->kept[PyLong_AsLong(id)] = (char)has;
        }
    }
    self->n_rules = (int)PyTuple_GET_SIZE(rules);
    self->rule_size = PyMem_Calloc(self->n_rules + 1, sizeof(int));
    self->rule_origin = PyMem_Calloc(self->n_rules + 1, sizeof(int));
    self->reducer = PyMem_Calloc(self->n_rules + 1, sizeof(PyObject *));
    self->rule_kind = PyMem_Calloc(self->n_rules + 1, sizeof(int));
    self->rule_modes = PyMem_Calloc(self->n_rules + 1, sizeof(char *));
    self->extra = PyMem_Calloc(self->n_rules + 1, sizeof(PyObject *));
    if (!self->rule_size || !self->rule_origin || !self->reducer || !self->rule_kind ||
            !self->rule_modes || !self->extra) {
        PyErr_NoMemory();
        goto fail;
    }
    for (int i = 0; i < self->n_rules; i++) {
        PyObject *rule = PyTuple_GET_ITEM(rules, i);
        PyObject *reducer, *origin;
        const char *modes;
        Py_ssize_t n_modes;
        if (!PyArg_ParseTuple(rule, "iOOiy#", &self->rule_size[i], &reducer, &origin,
                              &self->rule_kind[i], &modes, &n_modes))
            goto fail;
        self->rule_origin[i] = symbol_id(self->symbols, origin);
        if (self->rule_origin[i] < 0)
            goto fail;
        if (self->rule_kind[i] == RULE_TOKEN) {
            /* (callback, Maker, constants or None): one kept child, at most 4 constants */
            PyObject *consts = PyTuple_Check(reducer) && PyTuple_GET_SIZE(reducer) == 3 ?
                PyTuple_GET_ITEM(reducer, 2) : NULL;
            if (consts == NULL || !Py_IS_TYPE(PyTuple_GET_ITEM(reducer, 1), &MakerType) ||
                    (consts != Py_None &&
                     (!PyTuple_Check(consts) || PyTuple_GET_SIZE(consts) > 4)) ||
                    self->rule_size[i] != 1 || n_modes != 1 || modes[0] != KEEP) {
                PyErr_SetString(PyExc_ValueError, "Engine: inconsistent token rule");
                goto fail;
            }
            self->extra[i] = PyTuple_GetSlice(reducer, 1, 3);
            if (self->extra[i] == NULL)
                goto fail;
            reducer = PyTuple_GET_ITEM(reducer, 0);
        }
        if (n_modes != self->rule_size[i] || self->rule_kind[i] < RULE_UNIT ||
                (self->rule_kind[i] == RULE_UNIT && self->rule_size[i] != 1) ||
                self->rule_kind[i] > RULE_TOKEN ||
                ((self->rule_kind[i] == RULE_CALL || self->rule_kind[i] == RULE_EXPAND1 ||
                  self->rule_kind[i] == RULE_PYTHON || self->rule_kind[i] == RULE_TOKEN) &&
                 reducer == Py_None)) {
            PyErr_SetString(PyExc_ValueError, "Engine: inconsistent rule");
            goto fail;
        }
        self->rule_modes[i] = PyMem_Malloc(n_modes + 1);
        if (self->rule_modes[i] == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        memcpy(self->rule_modes[i], modes, n_modes);
        if (reducer != Py_None) {
            Py_INCREF(reducer);
            self->reducer[i] = reducer;
        }
    }
    Py_INCREF(on_error);
    self->on_error = on_error;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

/* The children a rule passes on, from ``args`` (a fresh list; stolen): kept values in
 * order, spliced lists' items in their place, dropped tokens left out. A list spliced
 * first is extended in place (`__star: __star _stmt`), so a run of n items costs O(n). */
static PyObject *
collect(PyObject *args, const char *modes, int size)
{
    int keep = 0, splice = 0, only = -1;
    for (int i = 0; i < size; i++) {
        if (modes[i] == KEEP)
            keep++;
        else if (modes[i] == SPLICE) {
            splice++;
            only = i;
        }
    }
    if (keep == size)
        return args;
    if (splice == 0 && size - keep <= 8) {
        /* only drops: the kept values close up in ``args`` itself (no second list); the
         * dropped ones are let go once the list is whole again */
        PyObject **items = ((PyListObject *)args)->ob_item, *dropped[8];
        int k = 0, d = 0;
        for (int i = 0; i < size; i++) {
            if (modes[i] == KEEP)
                items[k++] = items[i];
            else
                dropped[d++] = items[i];
        }
        Py_SET_SIZE(args, k);
        for (int i = 0; i < d; i++)
            Py_DECREF(dropped[i]);
        return args;
    }
    if (keep == 0 && splice == 1) {
        PyObject *out = PyList_GET_ITEM(args, only);
        Py_INCREF(out);
        Py_DECREF(args);
        return out;
    }
    PyObject *out;
    int from;
    if (size && modes[0] == SPLICE) {
        out = PyList_GET_ITEM(args, 0);
        if (!PyList_Check(out)) {
            Py_DECREF(args);
            PyErr_SetString(PyExc_TypeError, "collect: a spliced value is not a list");
            return NULL;
        }
        Py_INCREF(out);
        from = 1;
    } else {
        out = PyList_New(0);
        if (out == NULL) {
            Py_DECREF(args);
            return NULL;
        }
        from = 0;
    }
    for (int i = from; i < size; i++) {
        PyObject *v = PyList_GET_ITEM(args, i);
        int rc = 0;
        if (modes[i] == KEEP) {
            rc = PyList_Append(out, v);
        } else if (modes[i] == SPLICE) {
            Py_ssize_t n = PyList_GET_SIZE(out);
            rc = PyList_SetSlice(out, n, n, v);
        }
        if (rc < 0) {
            Py_DECREF(out);
            Py_DECREF(args);
            return NULL;
        }
    }
    Py_DECREF(args);
    return out;
}

static PyObject *
raise_unexpected(EngineObject *self, PyObject *tok, const int *stack, Py_ssize_t sp)
{
    PyObject *states = PyTuple_New(sp);
    if (states == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < sp; i++) {
        PyObject *n = PyLong_FromLong(stack[i]);
        if (n == NULL) {
            Py_DECREF(states);
            return NULL;
        }
        PyTuple_SET_ITEM(states, i, n);
    }
    PyObject *r = PyObject_CallFunctionObjArgs(self->on_error, tok, states, NULL);
    Py_DECREF(states);
    Py_XDECREF(r);
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "Engine: on_error did not raise");
    return NULL;
}

/* The errors of tables that tables.py never makes (Engine is callable from Python) and of
 * a value stack changed by other code during the parse: an exception, never a wild read.
 * Both drop ``tok``. */
static void
bad_tables(PyObject *tok)
{
    PyErr_SetString(PyExc_RuntimeError, "Engine: inconsistent tables (no goto, or a "
                    "reduction by more symbols than the stack holds)");
    Py_DECREF(tok);
}

static void
values_changed(PyObject *tok)
{
    PyErr_SetString(PyExc_RuntimeError, "Engine: the value stack was changed during the "
                    "parse");
    Py_DECREF(tok);
}

/* A RULE_TOKEN rule's node: maker(t's span, *consts), or maker(t's span, t's value) when
 * consts is None (``spec`` is (maker, consts)). */
static PyObject *
token_node(PyObject *spec, TokObject *t)
{
    MakerObject *maker = (MakerObject *)PyTuple_GET_ITEM(spec, 0);
    PyObject *extra = PyTuple_GET_ITEM(spec, 1);
    PyObject *args[8] = {t->line, t->column, t->end_line, t->end_column, t->value};
    Py_ssize_t n = 5;
    if (extra != Py_None) {
        n = 4 + PyTuple_GET_SIZE(extra);
        for (Py_ssize_t i = 4; i < n; i++)
            args[i] = PyTuple_GET_ITEM(extra, i - 4);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (args[i] == NULL) {  /* a field of the token deleted from Python */
            PyErr_SetString(PyExc_AttributeError, "Tok: a field is not set");
            return NULL;
        }
    }
    return maker_make(maker, args, n);
}

/* Hand each item of ``list`` (the value of a rule of ``top``) to ``on_item``, then empty
 * it: the start rule then gets an empty list, and no completed item is held. 0, or -1
 * with an exception set. */
static int
hand_items(PyObject *on_item, PyObject *list)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "parse: a top-level value is not a list");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {  /* on_item may change it */
        PyObject *item = PyList_GET_ITEM(list, i);
        Py_INCREF(item);
        PyObject *r = PyObject_CallOneArg(on_item, item);
        Py_DECREF(item);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return PyList_SetSlice(list, 0, PyList_GET_SIZE(list), NULL);
}

#define MAX_TOP 8

/* parse(tokens, values, on_item=None, top=()): the start rule's value; ``values`` (a
 * list) is the value stack. With ``on_item``, the value of each reduction that goes to one
 * of the states ``top`` (those after the start rule's repetitions, whose values are the
 * lists of completed top-level items) has its items handed to ``on_item`` one by one and
 * is emptied. */
static PyObject *
Engine_parse(EngineObject *self, PyObject *args)
{
    PyObject *tokens, *values, *on_item = Py_None, *top_states = NULL;
    int top_ids[MAX_TOP], n_top = 0;
    if (!PyArg_ParseTuple(args, "OO!|OO!:parse", &tokens, &PyList_Type, &values, &on_item,
                          &PyTuple_Type, &top_states))
        return NULL;
    if (on_item == Py_None)
        on_item = NULL;
    if (on_item != NULL && top_states != NULL) {
        if (PyTuple_GET_SIZE(top_states) > MAX_TOP) {
            PyErr_SetString(PyExc_ValueError, "parse: too many top-level states");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(top_states); i++) {
            long state = PyLong_AsLong(PyTuple_GET_ITEM(top_states, i));
            if (state == -1 && PyErr_Occurred())
                return NULL;
            top_ids[n_top++] = (int)state;
        }
    }
    PyObject *it = PyObject_GetIter(tokens);
    if (it == NULL)
        return NULL;
    const int *act = self->actions;
    const int nsym = self->n_symbols, end = self->end;
    Py_ssize_t cap = 64, sp = 0;  /* grows by doubling (deep nesting: tests) */
    int *stack = PyMem_Malloc(cap * sizeof(int));
    PyObject *result = NULL, *tok;
    if (stack == NULL) {
        Py_DECREF(it);
        return PyErr_NoMemory();
    }
    stack[sp++] = self->start;
    while ((tok = PyIter_Next(it)) != NULL) {
        if (!PyTuple_CheckExact(tok) || PyTuple_GET_SIZE(tok) != 7) {
            PyErr_SetString(PyExc_TypeError, "parse: a token is a 7-tuple");
            Py_DECREF(tok);
            goto done;
        }
        PyObject *id = PyDict_GetItemWithError(self->symbols, PyTuple_GET_ITEM(tok, 0));
        int sym = -1;
        if (id != NULL) {
            sym = (int)PyLong_AsLong(id);
        } else if (PyErr_Occurred()) {
            Py_DECREF(tok);
            goto done;
        }
        for (;;) {
            int top = stack[sp - 1];
            int code = sym < 0 ? NO_ACTION : act[top * nsym + sym];
            if (code == NO_ACTION) {
                raise_unexpected(self, tok, stack, sp);
                Py_DECREF(tok);
                goto done;
            }
            if (code >= 0) {  /* shift */
                if (sp == cap) {
                    cap *= 2;
                    int *grown = PyMem_Realloc(stack, cap * sizeof(int));
                    if (grown == NULL) {
                        PyErr_NoMemory();
                        Py_DECREF(tok);
                        goto done;
                    }
                    stack = grown;
                }
                stack[sp++] = code;
                int rc;
                if (self->kept[sym]) {
                    PyObject *t = tok_from_tuple(tok);
                    if (t == NULL) {
                        Py_DECREF(tok);
                        goto done;
                    }
                    rc = PyList_Append(values, t);
                    Py_DECREF(t);
                } else {
                    rc = PyList_Append(values, tok);
                }
                if (rc < 0) {
                    Py_DECREF(tok);
                    goto done;
                }
                break;
            }
            int rule = ~code;
            if (sp - 1 < self->rule_size[rule]) {
                bad_tables(tok);
                goto done;
            }
            if (self->rule_kind[rule] == RULE_UNIT) {
                /* A chain of unit rules: the state below stays; walk to where this
                 * token's action is not a unit reduction (lalr.py memoises the same). */
                int below = stack[sp - 2];
                top = act[below * nsym + self->rule_origin[rule]];
                while (top >= 0 && top != end) {
                    int step = act[top * nsym + sym];
                    if (step == NO_ACTION || step >= 0 || self->rule_kind[~step] != RULE_UNIT)
                        break;
                    top = act[below * nsym + self->rule_origin[~step]];
                }
                if (top < 0) {  /* no goto: tables not made by tables.py */
                    bad_tables(tok);
                    goto done;
                }
                stack[sp - 1] = top;
            } else if (self->rule_kind[rule] == RULE_TOKEN && PyList_GET_SIZE(values) &&
                       Py_IS_TYPE(PyList_GET_ITEM(values, PyList_GET_SIZE(values) - 1),
                                  &TokType)) {
                /* the token on top of the value stack becomes the node, in place */
                Py_ssize_t n = PyList_GET_SIZE(values);
                PyObject *t = PyList_GET_ITEM(values, n - 1);
                PyObject *node = token_node(self->extra[rule], (TokObject *)t);
                if (node == NULL) {
                    Py_DECREF(tok);
                    goto done;
                }
                PyList_SET_ITEM(values, n - 1, node);
                Py_DECREF(t);
                top = act[stack[sp - 2] * nsym + self->rule_origin[rule]];
                if (top < 0) {
                    bad_tables(tok);
                    goto done;
                }
                stack[sp - 1] = top;
            } else {
                int size = self->rule_size[rule];
                PyObject *children;
                Py_ssize_t n = PyList_GET_SIZE(values);
                if (n < size) {  /* ``values`` is the caller's list: changed meanwhile */
                    values_changed(tok);
                    goto done;
                }
                if (size) {
                    /* the top ``size`` values move to a fresh list: their references are
                     * handed over and the stack shortened, as a slice and a deletion
                     * would, without touching each reference twice */
                    children = PyList_New(size);
                    if (children == NULL) {
                        Py_DECREF(tok);
                        goto done;
                    }
                    memcpy(((PyListObject *)children)->ob_item,
                           ((PyListObject *)values)->ob_item + (n - size),
                           size * sizeof(PyObject *));
                    Py_SET_SIZE(values, n - size);
                    sp -= size;
                } else {
                    children = PyList_New(0);
                    if (children == NULL) {
                        Py_DECREF(tok);
                        goto done;
                    }
                }
                PyObject *value;
                int kind = self->rule_kind[rule];
                if (kind == RULE_PYTHON) {
                    value = PyObject_CallOneArg(self->reducer[rule], children);
                    Py_DECREF(children);
                } else {
                    children = collect(children, self->rule_modes[rule], size);
                    if (children == NULL) {
                        Py_DECREF(tok);
                        goto done;
                    }
                    if (kind == RULE_INLINE) {
                        value = children;
                    } else if (kind == RULE_EXPAND1 && PyList_Check(children) &&
                               PyList_GET_SIZE(children) == 1) {
                        value = PyList_GET_ITEM(children, 0);
                        Py_INCREF(value);
                        Py_DECREF(children);
                    } else {
                        value = PyObject_CallOneArg(self->reducer[rule], children);
                        Py_DECREF(children);
                    }
                }
                if (value == NULL) {
                    Py_DECREF(tok);
                    goto done;
                }
                top = act[stack[sp - 1] * nsym + self->rule_origin[rule]];
                if (top < 0) {
                    Py_DECREF(value);
                    bad_tables(tok);
                    goto done;
                }
                for (int i = 0; i < n_top; i++) {
                    if (top == top_ids[i]) {
                        if (hand_items(on_item, value) < 0) {
                            Py_DECREF(value);
                            Py_DECREF(tok);
                            goto done;
                        }
                        break;
                    }
                }
                int rc = PyList_Append(values, value);
                Py_DECREF(value);
                if (rc < 0) {
                    Py_DECREF(tok);
                    goto done;
                }
                if (sp == cap) {  /* a reduction of size 0 on a full stack */
                    cap *= 2;
                    int *grown = PyMem_Realloc(stack, cap * sizeof(int));
                    if (grown == NULL) {
                        PyErr_NoMemory();
                        Py_DECREF(tok);
                        goto done;
                    }
                    stack = grown;
                }
                stack[sp++] = top;
            }
            if (top == end) {  /* only reached by reducing at $END */
                Py_ssize_t n = PyList_GET_SIZE(values);
                if (n == 0) {
                    values_changed(tok);
                    goto done;
                }
                result = PyList_GET_ITEM(values, n - 1);
                Py_INCREF(result);
                Py_DECREF(tok);
                goto done;
            }
        }
        Py_DECREF(tok);
    }
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_AssertionError, "the token stream ended without $END");
done:
    PyMem_Free(stack);
    Py_DECREF(it);
    return result;
}

static PyMethodDef Engine_methods[] = {
    {"parse", (PyCFunction)Engine_parse, METH_VARARGS,
     "parse(tokens, values, on_item=None, top=()): the start rule's value; values becomes "
     "the value stack; with on_item, the items of the values reduced into the states top "
     "are handed to it instead of being kept."},
    {NULL}
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aether.syntax._speedups.Engine",
    .tp_doc = "The LALR(1) loop over integer-coded tables (see lalr.py).",
    .tp_basicsize = sizeof(EngineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Engine_traverse,
    .tp_clear = (inquiry)Engine_clear,
    .tp_new = Engine_new,
    .tp_dealloc = (destructor)Engine_dealloc,
    .tp_methods = Engine_methods,
};

/* ------------------------------------------------------------------ Scan */

/* The common tokens of lexer.py's Scanner, scanned by hand (the shapes are checked against
 * the grammar's by lexer._compiled_scan: NAME, STRING, DURATION, FLOAT, INT, COMMENT, and
 * operators of one or two characters). Anything else (an error of any kind, a character
 * no token starts with, the end of the text) is handed, with the state so far, to
 * Scanner._scan_from, the Python scanner, which yields the rest: so the messages and the
 * scanner's state at an error are the Python scanner's own. The state it shares (brackets,
 * indent_stack, logical_start, comments) is updated token by token, as the generator does. */

#define MAX_NESTING 100

typedef struct {
    PyObject_HEAD
    PyObject *scanner, *text, *keep_comments;
    PyObject *brackets, *indents, *logical, *comments, *keywords, *ops;
    PyObject *fallback;    /* the Python generator once handed over */
    int kind;
    const void *data;
    Py_ssize_t len, pos, line, line_start, logical_line, nl_line, nl_col;
    int at_bol;
    /* a token whose _INDENT / _DEDENTs are being yielded first */
    int pending;           /* 0 none; else the token is [pend_start, pend_end) */
    Py_ssize_t pend_start, pend_end, pend_dedents, pend_width;
    /* the ints of the last two line numbers made: every token of a line, its end line and
     * logical_start share one object, as the Python scanner's do (a tree of a large file
     * keeps them: a new int per token cost about 1.5 times the file) */
    PyObject *line_obj[2];
    Py_ssize_t line_num[2];
    int line_next;
} ScanObject;

static PyObject *NAME_str, *NL_str, *INDENT_str, *DEDENT_str, *EMPTY_str, *NEWLINE_str,
    *STRING_str, *DURATION_str, *FLOAT_str, *INT_str;

/* A Scan takes part in garbage collection, as the Python scanner's generator does: code
 * that keeps it on the scanner (or anything it holds) makes a cycle. */
static int
Scan_traverse(ScanObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->scanner);
    Py_VISIT(self->text);
    Py_VISIT(self->keep_comments);
    Py_VISIT(self->brackets);
    Py_VISIT(self->indents);
    Py_VISIT(self->logical);
    Py_VISIT(self->comments);
    Py_VISIT(self->keywords);
    Py_VISIT(self->ops);
    Py_VISIT(self->fallback);
    return 0;
}

static int
Scan_clear(ScanObject *self)
{
    Py_CLEAR(self->scanner);
    Py_CLEAR(self->text);
    Py_CLEAR(self->keep_comments);
    Py_CLEAR(self->brackets);
    Py_CLEAR(self->indents);
    Py_CLEAR(self->logical);
    Py_CLEAR(self->comments);
    Py_CLEAR(self->keywords);
    Py_CLEAR(self->ops);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->line_obj[0]);
    Py_CLEAR(self->line_obj[1]);
    return 0;
}

static void
Scan_dealloc(ScanObject *self)
{
    PyObject_GC_UnTrack(self);
    Scan_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A new reference to the int ``n``, shared with the last tokens of the same line. */
static PyObject *
line_int(ScanObject *self, Py_ssize_t n)
{
    for (int i = 0; i < 2; i++) {
        if (self->line_obj[i] != NULL && self->line_num[i] == n) {
            Py_INCREF(self->line_obj[i]);
            return self->line_obj[i];
        }
    }
    PyObject *obj = PyLong_FromSsize_t(n);
    if (obj == NULL)
        return NULL;
    int slot = self->line_next;
    self->line_next = 1 - slot;
    Py_XDECREF(self->line_obj[slot]);
    Py_INCREF(obj);
    self->line_obj[slot] = obj;
    self->line_num[slot] = n;
    return obj;
}

/* Scan(scanner, text, keep_comments, start, start_line) */
static PyObject *
Scan_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *scanner, *text, *keep;
    Py_ssize_t start, start_line;
    if (!PyArg_ParseTuple(args, "OUOnn:Scan", &scanner, &text, &keep, &start, &start_line))
        return NULL;
    ScanObject *self = (ScanObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(scanner);
    self->scanner = scanner;
    Py_INCREF(text);
    self->text = text;
    Py_INCREF(keep);
    self->keep_comments = keep;
    /* One at a time: the next lookup, made with the first one's error set, may clear it
     * (a MemoryError lost: "returned NULL without setting an exception"). */
    static const char *names[] = {"brackets", "indent_stack", "logical_start", "comments",
                                  "keywords", "ops"};
    PyObject **slots[] = {&self->brackets, &self->indents, &self->logical, &self->comments,
                          &self->keywords, &self->ops};
    for (int i = 0; i < 6; i++) {
        *slots[i] = PyObject_GetAttrString(scanner, names[i]);
        if (*slots[i] == NULL) {
            Py_DECREF(self);
            return NULL;
        }
    }
    if (!PyList_Check(self->brackets) || !PyList_Check(self->indents) ||
            !PyDict_Check(self->logical) || !PyList_Check(self->comments) ||
            !PyDict_Check(self->keywords) || !PyDict_Check(self->ops)) {
        PyErr_SetString(PyExc_TypeError, "Scan: unexpected scanner state");
        Py_DECREF(self);
        return NULL;
    }
    self->kind = PyUnicode_KIND(text);
    self->data = PyUnicode_DATA(text);
    self->len = PyUnicode_GET_LENGTH(text);
    self->pos = start;
    self->line = start_line;
    self->line_start = start;
    self->logical_line = start_line;
    self->nl_line = 1;
    self->nl_col = 1;
    self->at_bol = 1;
    return (PyObject *)self;
}

#define CH(i) ((i) < self->len ? PyUnicode_READ(self->kind, self->data, (i)) : 0)

static int
is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }
static int
is_ident_start(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int
is_ident(Py_UCS4 c) { return is_ident_start(c) || is_digit(c); }

/* Hand the rest to Scanner._scan_from at ``at`` (nothing of the token there taken yet). */
static PyObject *
hand_over(ScanObject *self, Py_ssize_t at)
{
    self->fallback = PyObject_CallMethod(
        self->scanner, "_scan_from", "OOnnnOnnn", self->text, self->keep_comments, at,
        self->line, self->line_start, self->at_bol ? Py_True : Py_False, self->logical_line,
        self->nl_line, self->nl_col);
    if (self->fallback == NULL)
        return NULL;
    return PyIter_Next(self->fallback);
}

static PyObject *
make_tok(ScanObject *self, PyObject *type, PyObject *value, Py_ssize_t pos, Py_ssize_t line,
         Py_ssize_t col, Py_ssize_t end_line, Py_ssize_t end_col)
{
    PyObject *t = PyTuple_New(7);
    if (t == NULL)
        return NULL;
    Py_INCREF(type);
    PyTuple_SET_ITEM(t, 0, type);
    Py_INCREF(value);
    PyTuple_SET_ITEM(t, 1, value);
    PyObject *n[5] = {PyLong_FromSsize_t(pos), line_int(self, line),
                      PyLong_FromSsize_t(col), line_int(self, end_line),
                      PyLong_FromSsize_t(end_col)};
    for (int i = 0; i < 5; i++) {
        if (n[i] == NULL) {
            for (int j = i + 1; j < 5; j++)
                Py_XDECREF(n[j]);
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, 2 + i, n[i]);
    }
    return t;
}

/* The end of the number (DURATION, FLOAT or INT, in the grammar's order) at ``i``, and
 * its type. */
static Py_ssize_t
scan_number(ScanObject *self, Py_ssize_t i, PyObject **type)
{
    Py_ssize_t d = i + 1;
    while (is_digit(CH(d)) || CH(d) == '_')
        d++;
    /* DURATION: [0-9][0-9_]*(?:\.[0-9]+)?(?:ms|s|m|h)(?![A-Za-z0-9_]) */
    Py_ssize_t u = d;
    if (CH(d) == '.' && is_digit(CH(d + 1))) {
        u = d + 1;
        while (is_digit(CH(u)))
            u++;
    }
    for (int with_fraction = (u != d); with_fraction >= 0; with_fraction--) {
        Py_ssize_t at = with_fraction ? u : d;
        if (CH(at) == 'm' && CH(at + 1) == 's' && !is_ident(CH(at + 2))) {
            *type = DURATION_str;
            return at + 2;
        }
        Py_UCS4 c = CH(at);
        if ((c == 's' || c == 'm' || c == 'h') && !is_ident(CH(at + 1))) {
            *type = DURATION_str;
            return at + 1;
        }
    }
    /* FLOAT: [0-9][0-9_]*\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)? | [0-9][0-9_]*[eE][+-]?[0-9]+ */
    Py_ssize_t f = d;
    int is_float = 0;
    if (CH(d) == '.' && is_digit(CH(d + 1))) {
        f = d + 2;
        while (is_digit(CH(f)) || CH(f) == '_')
            f++;
        is_float = 1;
    }
    if (CH(f) == 'e' || CH(f) == 'E') {
        Py_ssize_t e = f + 1;
        if (CH(e) == '+' || CH(e) == '-')
            e++;
        if (is_digit(CH(e))) {
            while (is_digit(CH(e)))
                e++;
            *type = FLOAT_str;
            return e;
        }
    }
    if (is_float) {
        *type = FLOAT_str;
        return f;
    }
    *type = INT_str;
    return d;
}

/* The end of the string literal at ``i`` closed on its line, or -1. */
static Py_ssize_t
scan_string(ScanObject *self, Py_ssize_t i)
{
    Py_UCS4 quote = CH(i);
    Py_ssize_t j = i + 1;
    while (j < self->len) {
        Py_UCS4 c = CH(j);
        if (c == quote)
            return j + 1;
        if (c == '\n')
            return -1;
        if (c == '\\') {
            if (j + 1 >= self->len || CH(j + 1) == '\n')
                return -1;
            j += 2;
            continue;
        }
        j++;
    }
    return -1;
}

/* Everything a token on a logical line does after its _INDENT/_DEDENTs: the line's
 * logical start, brackets, the token itself. NULL with no error set: hand over at start. */
static PyObject *
finish_token(ScanObject *self, Py_ssize_t start, Py_ssize_t end, int *hand)
{
    Py_ssize_t column = start - self->line_start + 1;
    Py_UCS4 c = CH(start);
    PyObject *type = NULL, *value;
    int bracket = 0;  /* 1 opens, -1 closes */
    if (c == '(' || c == '[' || c == '{')
        bracket = 1;
    else if (c == ')' || c == ']' || c == '}')
        bracket = -1;
    if (bracket > 0 && PyList_GET_SIZE(self->brackets) >= MAX_NESTING) {
        *hand = 1;
        return NULL;
    }
    if (bracket < 0) {
        Py_ssize_t n = PyList_GET_SIZE(self->brackets);
        if (n == 0) {
            *hand = 1;
            return NULL;
        }
        /* The list is the scanner's, open to Python code between tokens: anything but
         * the (opener, line, column) entries made here is left to the Python scanner. */
        PyObject *entry = PyList_GET_ITEM(self->brackets, n - 1);
        PyObject *top = PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) > 0 ?
            PyTuple_GET_ITEM(entry, 0) : NULL;
        if (top == NULL || !PyUnicode_Check(top) || PyUnicode_GET_LENGTH(top) != 1) {
            *hand = 1;
            return NULL;
        }
        Py_UCS4 opener = PyUnicode_READ_CHAR(top, 0);
        Py_UCS4 want = c == ')' ? '(' : c == ']' ? '[' : '{';
        if (opener != want) {
            *hand = 1;
            return NULL;
        }
    }
    PyObject *ln = line_int(self, self->line);
    if (ln == NULL)
        return NULL;
    /* logical_start lists only the lines that continue a logical line begun above them
     * (inside brackets): an entry for every line cost about 1.5 times the file */
    if (self->logical_line != self->line) {
        PyObject *lg = line_int(self, self->logical_line);
        if (lg == NULL || PyDict_SetItem(self->logical, ln, lg) < 0) {
            Py_DECREF(ln);
            Py_XDECREF(lg);
            return NULL;
        }
        Py_DECREF(lg);
    }
    value = PyUnicode_Substring(self->text, start, end);
    if (value == NULL) {
        Py_DECREF(ln);
        return NULL;
    }
    if (is_ident_start(c)) {
        type = PyDict_GetItemWithError(self->keywords, value);
        if (type == NULL && PyErr_Occurred())
            goto fail;
        if (type == NULL)
            type = NAME_str;
    } else if (is_digit(c)) {
        scan_number(self, start, &type);
    } else if (c == '"' || c == '\'') {
        type = STRING_str;
    } else {
        type = PyDict_GetItemWithError(self->ops, value);
        if (type == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_AssertionError, "Scan: not an operator");
            goto fail;
        }
        if (bracket > 0) {
            PyObject *col = PyLong_FromSsize_t(column);
            PyObject *entry = col ? PyTuple_Pack(3, value, ln, col) : NULL;
            Py_XDECREF(col);
            if (entry == NULL || PyList_Append(self->brackets, entry) < 0) {
                Py_XDECREF(entry);
                goto fail;
            }
            Py_DECREF(entry);
        } else if (bracket < 0) {
            Py_ssize_t n = PyList_GET_SIZE(self->brackets);
            if (PyList_SetSlice(self->brackets, n - 1, n, NULL) < 0)
                goto fail;
        }
    }
    Py_DECREF(ln);
    PyObject *tok = make_tok(self, type, value, start, self->line, column, self->line,
                             column + (end - start));
    Py_DECREF(value);
    return tok;
fail:
    Py_DECREF(ln);
    Py_DECREF(value);
    return NULL;
}

/* The width at ``k`` of the indentation stack, or -1 when there is none or it is not a
 * width (the list is the scanner's, open to Python code between tokens: the Python
 * scanner then deals with it). */
static Py_ssize_t
indent_at(ScanObject *self, Py_ssize_t k)
{
    if (k < 0 || k >= PyList_GET_SIZE(self->indents))
        return -1;
    PyObject *w = PyList_GET_ITEM(self->indents, k);
    if (!PyLong_CheckExact(w))
        return -1;
    Py_ssize_t v = PyLong_AsSsize_t(w);
    if (v < 0) {
        PyErr_Clear();
        return -1;
    }
    return v;
}

static PyObject *
Scan_next(ScanObject *self)
{
    if (self->text == NULL)  /* cleared by the garbage collector: nothing left */
        return NULL;
    if (self->fallback != NULL)
        return PyIter_Next(self->fallback);
    int hand = 0;
    if (self->pending) {
        if (self->pend_dedents > 0) {  /* one _DEDENT per call: the stack pops with it */
            Py_ssize_t n = PyList_GET_SIZE(self->indents);
            if (PyList_SetSlice(self->indents, n - 1, n, NULL) < 0)
                return NULL;
            self->pend_dedents--;
            Py_ssize_t column = self->pend_start - self->line_start + 1;
            return make_tok(self, DEDENT_str, EMPTY_str, self->pend_start, self->line, column,
                            self->line, column);
        }
        self->pending = 0;
        PyObject *tok = finish_token(self, self->pend_start, self->pend_end, &hand);
        if (tok == NULL && hand && !PyErr_Occurred())
            return hand_over(self, self->pend_start);
        self->pos = self->pend_end;
        return tok;
    }
    for (;;) {
        Py_ssize_t i = self->pos;
        if (i < 0 || i >= self->len)  /* the end (unclosed brackets, last _NL, _DEDENTs),
                                       * or a ``start`` outside the text (re clamps it) */
            return hand_over(self, i);
        Py_UCS4 c = CH(i);
        if (c == ' ' || c == '\t' || c == '\f') {
            Py_ssize_t j = i + 1;
            while (CH(j) == ' ' || CH(j) == '\t' || CH(j) == '\f')
                j++;
            self->pos = j;
            continue;
        }
        if (c == '\n') {
            self->pos = i + 1;
            PyObject *tok = NULL;
            if (!self->at_bol && PyList_GET_SIZE(self->brackets) == 0) {
                Py_ssize_t column = i - self->line_start + 1;
                tok = make_tok(self, NL_str, NEWLINE_str, i, self->line, column, self->line,
                               column + 1);
                if (tok == NULL)
                    return NULL;
                self->nl_line = self->line;
                self->nl_col = column + 1;
                self->at_bol = 1;
            }
            self->line++;
            self->line_start = i + 1;
            if (tok != NULL)
                return tok;
            continue;
        }
        if (c == '#') {
            Py_ssize_t j = i + 1;
            while (j < self->len && CH(j) != '\n')
                j++;
            int keep = PyObject_IsTrue(self->keep_comments);
            if (keep < 0)  /* its __bool__ raised: the Python scanner raises the same */
                return NULL;
            if (keep) {
                /* a Comment tuple subclass: the Python scanner makes those */
                return hand_over(self, i);
            }
            self->pos = j;
            continue;
        }
        Py_ssize_t end;
        if (is_ident_start(c)) {
            end = i + 1;
            while (is_ident(CH(end)))
                end++;
        } else if (is_digit(c)) {
            PyObject *type;
            end = scan_number(self, i, &type);
        } else if (c == '"' || c == '\'') {
            end = scan_string(self, i);
            if (end < 0)
                return hand_over(self, i);
        } else {
            PyObject *two = NULL;
            end = -1;
            if (i + 1 < self->len) {
                two = PyUnicode_Substring(self->text, i, i + 2);
                if (two == NULL)
                    return NULL;
                PyObject *hit = PyDict_GetItemWithError(self->ops, two);
                Py_DECREF(two);
                if (hit != NULL)
                    end = i + 2;
                else if (PyErr_Occurred())
                    return NULL;
            }
            if (end < 0) {
                PyObject *one = PyUnicode_Substring(self->text, i, i + 1);
                if (one == NULL)
                    return NULL;
                PyObject *hit = PyDict_GetItemWithError(self->ops, one);
                Py_DECREF(one);
                if (hit != NULL)
                    end = i + 1;
                else if (PyErr_Occurred())
                    return NULL;
                else
                    return hand_over(self, i);  /* no token starts here: an error */
            }
        }
        if (self->at_bol) {
            Py_ssize_t width = i - self->line_start;
            for (Py_ssize_t k = self->line_start; k < i; k++) {
                if (CH(k) == '\t')
                    return hand_over(self, i);
            }
            Py_ssize_t n = PyList_GET_SIZE(self->indents);
            Py_ssize_t top = indent_at(self, n - 1);
            Py_ssize_t dedents = 0;
            if (top < 0)
                return hand_over(self, i);  /* not the stack of widths made here */
            if (width > top) {
                if (n > MAX_NESTING)
                    return hand_over(self, i);
            } else if (width < top) {
                Py_ssize_t k = n - 1, w = top;
                while (k > 0 && width < w)
                    w = indent_at(self, --k);
                if (w < 0 || width != w)
                    return hand_over(self, i);  /* lines up with no enclosing block */
                dedents = n - 1 - k;
            }
            self->at_bol = 0;
            self->logical_line = self->line;
            Py_ssize_t column = i - self->line_start + 1;
            if (width > top) {
                PyObject *w = PyLong_FromSsize_t(width);
                if (w == NULL || PyList_Append(self->indents, w) < 0) {
                    Py_XDECREF(w);
                    return NULL;
                }
                Py_DECREF(w);
                self->pending = 1;
                self->pend_start = i;
                self->pend_end = end;
                self->pend_dedents = 0;
                return make_tok(self, INDENT_str, EMPTY_str, i, self->line, 1, self->line, column);
            }
            if (dedents) {
                self->pending = 1;
                self->pend_start = i;
                self->pend_end = end;
                self->pend_dedents = dedents;
                return Scan_next(self);
            }
        }
        PyObject *tok = finish_token(self, i, end, &hand);
        if (tok == NULL && hand && !PyErr_Occurred())
            return hand_over(self, i);
        self->pos = end;
        return tok;
    }
}

static PyTypeObject ScanType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aether.syntax._speedups.Scan",
    .tp_doc = "The tokens of a text, as lexer.Scanner.scan yields them (see lexer.py).",
    .tp_basicsize = sizeof(ScanObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Scan_traverse,
    .tp_clear = (inquiry)Scan_clear,
    .tp_new = Scan_new,
    .tp_dealloc = (destructor)Scan_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Scan_next,
};

/* ------------------------------------------------------------------ legacy_tokenize */

/* legacy_tokenize(text, tok, scanned, match, kinds, bad_string, regex_only): the tokens
 * of aether.migrate.tokens.tokenize, made in C (the tokenizer was a tenth of a migration
 * after a check). The rules are the Python function's: each step takes the blanks and one
 * token, the kind of the `_MASTER` alternative that matched. The frequent tokens (words,
 * numbers, strings, operators, newlines, comments) are scanned by hand over ASCII; where
 * the scan meets a character outside ASCII that could decide the token (one that starts
 * it, continues a word or a number, follows one), the step is handed to the regex itself
 * (``match(text, pos)``, its group numbers named by ``kinds``), so `\w` and `\d` keep
 * their Unicode meaning exactly. ``regex_only`` hands every step (the tests use it to
 * check that path). The tokens are instances of the Python classes ``tok`` (Tok) and
 * ``scanned`` (its slot-for-slot subclass), made with tp_alloc and their slots filled, as
 * the Python function makes them: the migrator reads and sets their attributes and
 * needs no other type. An unclosed string raises ``bad_string(value, line, col)``. */

enum { LK_OP, LK_WORD, LK_STR, LK_NUM, LK_DUR, LK_PCT, LK_NL, LK_COMMENT, LK_SLASH,
       LK_BADSTR, LK_END, LK_HAND, LK_COUNT };

/* the kinds' names, in the enum's order (DUR and PCT are kinds of their own) */
static const char *LK_names[] = {"OP", "WORD", "STR", "NUM", "DUR", "PCT", "NL", "COMMENT",
                                 "SLASHCOMMENT", "BADSTR", "END"};
static PyObject *LK_str[LK_HAND];
static PyObject *EOF_str;

#define LK_NONE ((Py_UCS4)0xFFFFFFFF)  /* past the end of the text: no code point */

static int
lk_word(Py_UCS4 c) { return is_ident(c); }  /* ASCII \w */
static int
lk_hex(Py_UCS4 c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* The end of the string whose body starts at ``i`` (after its quote ``q``): the regex's
 * [^q\\\n]*(?:\\.[^q\\\n]*)*q; -1 when it is not closed on its line. */
static Py_ssize_t
lk_string_end(int uk, const void *data, Py_ssize_t n, Py_ssize_t i, Py_UCS4 q)
{
    while (i < n) {
        Py_UCS4 d = PyUnicode_READ(uk, data, i);
        if (d == q)
            return i + 1;
        if (d == '\n')
            return -1;
        if (d == '\\') {
            if (i + 1 >= n || PyUnicode_READ(uk, data, i + 1) == '\n')
                return -1;
            i += 2;
        }
        else
            i++;
    }
    return -1;
}

/* The character at ``j`` (LK_NONE past the end); a number's step is handed to the regex
 * when one it reads is outside ASCII (it may be a \d or a \w). */
#define LK_PEEK(j, out) do {                                              \
        Py_ssize_t j_ = (j);                                              \
        if (j_ >= n)                                                      \
            (out) = LK_NONE;                                              \
        else if (((out) = PyUnicode_READ(uk, data, j_)) >= 128)           \
            return LK_HAND;                                               \
    } while (0)

/* The number at ``i`` (an ASCII digit): HEX, DUR, PCT, NUMWORD, NUM in the regex's order. */
static int
lk_number(int uk, const void *data, Py_ssize_t n, Py_ssize_t i, Py_ssize_t *pe)
{
    Py_UCS4 c, d, u;
    Py_ssize_t j, k, f;
    LK_PEEK(i + 1, d);
    if (PyUnicode_READ(uk, data, i) == '0' && (d == 'x' || d == 'X')) {
        for (j = i + 2; j < n && lk_hex(PyUnicode_READ(uk, data, j)); j++)
            ;
        if (j > i + 2) {
            *pe = j;
            return LK_NUM;
        }
    }
    /* \d[\d_]*: no alternative gives any of it back to the others */
    for (j = i + 1;; j++) {
        LK_PEEK(j, c);
        if (!(is_digit(c) || c == '_'))
            break;
    }
    /* (?:\.\d+)? */
    f = j;
    if (c == '.') {
        LK_PEEK(j + 1, d);
        if (is_digit(d)) {
            for (f = j + 2;; f++) {
                LK_PEEK(f, d);
                if (!is_digit(d))
                    break;
            }
        }
    }
    /* DUR: (?:ms|s|m|h)(?![\w]) */
    LK_PEEK(f, u);
    if (u == 'm' || u == 's' || u == 'h') {
        LK_PEEK(f + 1, d);
        if (u == 'm' && d == 's') {
            LK_PEEK(f + 2, d);
            if (!lk_word(d)) {
                *pe = f + 2;
                return LK_DUR;
            }
            /* `m` alone then has the \w `s` after it */
        }
        else if (!lk_word(d)) {
            *pe = f + 1;
            return LK_DUR;
        }
    }
    /* PCT: %(?![\w(\d]) */
    if (u == '%') {
        LK_PEEK(f + 1, d);
        if (!lk_word(d) && d != '(') {
            *pe = f + 1;
            return LK_PCT;
        }
    }
    /* the exponent after [\d_]* (NUMWORD's lookahead) or after the fraction (NUM's):
     * [eE][+-]?\d+, its end or -1 */
#define LK_EXPONENT(at, out) do {                                         \
        Py_UCS4 e_;                                                       \
        Py_ssize_t x_ = (at);                                             \
        (out) = -1;                                                       \
        LK_PEEK(x_, e_);                                                  \
        if (e_ == 'e' || e_ == 'E') {                                     \
            LK_PEEK(x_ + 1, e_);                                          \
            x_ += (e_ == '+' || e_ == '-') ? 2 : 1;                       \
            LK_PEEK(x_, e_);                                              \
            if (is_digit(e_)) {                                           \
                do {                                                      \
                    x_++;                                                 \
                    LK_PEEK(x_, e_);                                      \
                } while (is_digit(e_));                                   \
                (out) = x_;                                               \
            }                                                             \
        }                                                                 \
    } while (0)
    /* NUMWORD: (?![\d_]*[eE][+-]?\d+(?![\w]))[\d_]*[A-Za-z_]\w* (not 1e5). [A-Za-z_]
     * takes the character after [\d_]*, or [\d_]* gives back up to its last `_` */
    LK_EXPONENT(j, k);
    if (k >= 0) {
        LK_PEEK(k, d);
    }
    if (k < 0 || lk_word(d)) {
        int underscore = 0;
        for (k = i + 1; k < j; k++)
            if (PyUnicode_READ(uk, data, k) == '_')
                underscore = 1;
        if (underscore || (c != LK_NONE && is_ident_start(c))) {
            for (k = j;; k++) {
                LK_PEEK(k, d);
                if (!lk_word(d))
                    break;
            }
            *pe = k;
            return LK_WORD;
        }
    }
    /* NUM: \d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)? */
    LK_EXPONENT(f, k);
    *pe = k >= 0 ? k : f;
    return LK_NUM;
#undef LK_EXPONENT
}

/* One step at ``pos``: the token's kind, its start ``*ps`` (after the blanks) and end
 * ``*pe``; LK_HAND when the regex must decide it. */
static int
lk_scan(int uk, const void *data, Py_ssize_t n, Py_ssize_t pos, Py_ssize_t *ps,
        Py_ssize_t *pe)
{
    Py_ssize_t i = pos, j;
    Py_UCS4 c = LK_NONE, d, e;
    while (i < n) {
        c = PyUnicode_READ(uk, data, i);
        if (c != ' ' && c != '\t' && c != '\f' && c != '\v')
            break;
        i++;
    }
    *ps = i;
    if (i >= n) {
        *pe = n;
        return LK_END;
    }
    if (c >= 128)
        return LK_HAND;
    d = i + 1 < n ? PyUnicode_READ(uk, data, i + 1) : LK_NONE;
    e = i + 2 < n ? PyUnicode_READ(uk, data, i + 2) : LK_NONE;
    *pe = i + 1;
    switch (c) {
    case '(': case ')': case ',': case '{': case '}': case '[': case ']':
        return LK_OP;
    case '\n':
        return LK_NL;
    case ':':
        *pe = i + (d == ':' ? 2 : 1);
        return LK_OP;
    case '.':
        *pe = i + (d == '.' ? (e == '.' ? 3 : 2) : 1);
        return LK_OP;
    case '"': case '\'':
        j = lk_string_end(uk, data, n, i + 1, c);
        if (j < 0)
            return LK_BADSTR;
        *pe = j;
        return LK_STR;
    case '`':
        return LK_BADSTR;
    case '=':
        *pe = i + (d == '=' ? (e == '=' ? 3 : 2) : d == '>' ? 2 : 1);
        return LK_OP;
    case '#':
    case '/':
        if (c == '/' && d != '/') {
            *pe = i + (d == '=' ? 2 : 1);
            return LK_OP;
        }
        for (j = i + 1; j < n && PyUnicode_READ(uk, data, j) != '\n'; j++)
            ;
        *pe = j;
        return c == '#' ? LK_COMMENT : LK_SLASH;
    case '-':
        *pe = i + (d == '-' || d == '=' || d == '>' ? 2 : 1);
        return LK_OP;
    case '!':
        *pe = i + (d == '=' ? (e == '=' ? 3 : 2) : 1);
        return LK_OP;
    case '*':
        *pe = i + (d == '*' ? (e == '=' ? 3 : 2) : d == '=' ? 2 : 1);
        return LK_OP;
    case '<':
        *pe = i + (d == '<' || d == '=' ? 2 : 1);
        return LK_OP;
    case '>':
        *pe = i + (d == '>' || d == '=' ? 2 : 1);
        return LK_OP;
    case '+':
        *pe = i + (d == '+' || d == '=' ? 2 : 1);
        return LK_OP;
    case '%':
        *pe = i + (d == '=' ? 2 : 1);
        return LK_OP;
    case '&':
        *pe = i + (d == '&' ? 2 : 1);
        return LK_OP;
    case '|':
        *pe = i + (d == '|' ? 2 : 1);
        return LK_OP;
    case '?':
        *pe = i + (d == '.' || d == '?' ? 2 : 1);
        return LK_OP;
    default:
        break;
    }
    if ((c == 'f' || c == 'F') && (d == '"' || d == '\'')) {
        j = lk_string_end(uk, data, n, i + 2, d);
        if (j >= 0) {
            *pe = j;
            return LK_STR;
        }
    }
    if (is_ident_start(c) || c == '$') {
        /* [A-Za-z_$][\w$]*: handed to the regex at a character outside ASCII */
        for (j = i + 1; j < n; j++) {
            d = PyUnicode_READ(uk, data, j);
            if (d >= 128)
                return LK_HAND;
            if (!(lk_word(d) || d == '$'))
                break;
        }
        *pe = j;
        return LK_WORD;
    }
    if (is_digit(c))
        return lk_number(uk, data, n, i, pe);
    return LK_OP;  /* any other character: an operator of its own */
}
#undef LK_PEEK

/* The step at ``pos`` as the regex takes it: ``match(text, pos)``, its kind by the number
 * of the last group that closed (``kinds``), start (the end of group 1) and end. */
static int
lk_regex(PyObject *match, PyObject *kinds, PyObject *text, Py_ssize_t pos, Py_ssize_t *ps,
         Py_ssize_t *pe)
{
    PyObject *m = PyObject_CallFunction(match, "On", text, pos);
    if (m == NULL)
        return -1;
    int kind = -1;
    PyObject *last = PyObject_GetAttrString(m, "lastindex");
    PyObject *s = PyObject_CallMethod(m, "end", "i", 1);
    PyObject *e = PyObject_CallMethod(m, "end", NULL);
    if (last == NULL || s == NULL || e == NULL)
        goto done;
    Py_ssize_t group = PyLong_AsSsize_t(last);
    *ps = PyLong_AsSsize_t(s);
    *pe = PyLong_AsSsize_t(e);
    if (PyErr_Occurred())
        goto done;
    if (group < 0 || group >= PyTuple_GET_SIZE(kinds)) {
        PyErr_SetString(PyExc_ValueError, "legacy_tokenize: a group without a kind");
        goto done;
    }
    PyObject *name = PyTuple_GET_ITEM(kinds, group);
    for (int k = 0; k < LK_HAND; k++) {
        if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, LK_names[k]) == 0) {
            kind = k;
            break;
        }
    }
    if (kind < 0)
        PyErr_Format(PyExc_ValueError, "legacy_tokenize: unknown kind %R", name);
done:
    Py_XDECREF(last);
    Py_XDECREF(s);
    Py_XDECREF(e);
    Py_DECREF(m);
    return kind;
}

#define LK_FIELDS 8
static const char *LK_slots[LK_FIELDS] = {"kind", "text", "line", "col", "start", "end",
                                          "bol", "indent"};

/* What the tokens of one call share: the slots' offsets, the token list, and the ints
 * of the current line and of the last token's end (the next token often starts there):
 * about one int made per token instead of three, and a kept token list holds fewer. */
typedef struct {
    Py_ssize_t off[LK_FIELDS];
    PyObject *toks;
    PyObject *line_obj, *end_obj;
    Py_ssize_t line_num, end_num;
} LkOut;

static PyObject *
lk_int(PyObject **cache, Py_ssize_t *num, Py_ssize_t v, int keep)
{
    if (*cache != NULL && *num == v)
        return Py_NewRef(*cache);
    PyObject *o = PyLong_FromSsize_t(v);
    if (o != NULL && keep) {
        Py_XSETREF(*cache, Py_NewRef(o));
        *num = v;
    }
    return o;
}

/* Append a token of class ``cls`` to out->toks; ``text`` is stolen. -1 on an error. */
static int
lk_emit(LkOut *out, PyTypeObject *cls, PyObject *kind, PyObject *text, Py_ssize_t line,
        Py_ssize_t col, Py_ssize_t start, Py_ssize_t end, int bol, Py_ssize_t indent)
{
    if (text == NULL)
        return -1;
    PyObject *v[LK_FIELDS] = {Py_NewRef(kind), text,
                              lk_int(&out->line_obj, &out->line_num, line, 1),
                              PyLong_FromSsize_t(col),
                              lk_int(&out->end_obj, &out->end_num, start, 0),
                              lk_int(&out->end_obj, &out->end_num, end, 1),
                              Py_NewRef(bol ? Py_True : Py_False),
                              PyLong_FromSsize_t(indent)};
    PyObject *obj = NULL;
    for (int i = 0; i < LK_FIELDS; i++)
        if (v[i] == NULL)
            goto fail;
    obj = cls->tp_alloc(cls, 0);
    if (obj == NULL)
        goto fail;
    /* Not tracked by the garbage collector: a token holds str, int and bool values only
     * (nothing the migrator does sets another), so it is in no cycle; each collection
     * walked every token of every list kept: a seventh of the compiled time, on the
     * corpus, with each list dropped at once (more where the parser keeps it). */
    if (PyObject_IS_GC(obj))
        PyObject_GC_UnTrack(obj);
    for (int i = 0; i < LK_FIELDS; i++)
        *(PyObject **)((char *)obj + out->off[i]) = v[i];
    int r = PyList_Append(out->toks, obj);
    Py_DECREF(obj);
    return r;
fail:
    for (int i = 0; i < LK_FIELDS; i++)
        Py_XDECREF(v[i]);
    return -1;
}

/* The width of the indentation text[a:b] (blanks), tabs to the next multiple of 4, as
 * str.expandtabs(4) counts it. */
static Py_ssize_t
lk_indent(int uk, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t w = 0;
    for (Py_ssize_t i = a; i < b; i++)
        w = PyUnicode_READ(uk, data, i) == '\t' ? w + 4 - w % 4 : w + 1;
    return w;
}

static PyObject *
legacy_tokenize(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "legacy_tokenize takes 7 arguments");
        return NULL;
    }
    PyObject *text = args[0], *match = args[3], *kinds = args[4], *bad = args[5];
    PyTypeObject *tok_cls = (PyTypeObject *)args[1], *scanned = (PyTypeObject *)args[2];
    int regex_only = PyObject_IsTrue(args[6]);
    if (regex_only < 0)
        return NULL;
    if (!PyUnicode_Check(text) || !PyType_Check(args[1]) || !PyType_Check(args[2]) ||
            !PyTuple_Check(kinds) || !PyType_IsSubtype(scanned, tok_cls) ||
            scanned->tp_basicsize != tok_cls->tp_basicsize) {
        PyErr_SetString(PyExc_TypeError, "legacy_tokenize: bad arguments");
        return NULL;
    }
    /* the slots' offsets, the same in both classes (the subclass adds none) */
    LkOut out = {{0}, NULL, NULL, NULL, 0, 0};
    Py_ssize_t *off = out.off;
    PyTypeObject *classes[2] = {tok_cls, scanned};
    for (int c = 0; c < 2; c++) {
        PyTypeObject *tp = classes[c];
        if (tp->tp_itemsize != 0 || tp->tp_dictoffset != 0) {
            PyErr_SetString(PyExc_TypeError, "legacy_tokenize: not a class of slotted tokens");
            return NULL;
        }
    }
    for (int i = 0; i < LK_FIELDS; i++) {
        PyObject *name = PyUnicode_InternFromString(LK_slots[i]);
        if (name == NULL)
            return NULL;
        PyObject *descr = _PyType_Lookup(tok_cls, name);
        Py_DECREF(name);
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            PyErr_Format(PyExc_TypeError, "legacy_tokenize: %s is not a slot", LK_slots[i]);
            return NULL;
        }
        PyMemberDescrObject *m = (PyMemberDescrObject *)descr;
        if (m->d_member->type != T_OBJECT_EX || (m->d_member->flags & READONLY) ||
                m->d_member->offset < (Py_ssize_t)sizeof(PyObject) ||
                m->d_member->offset + (Py_ssize_t)sizeof(PyObject *) > tok_cls->tp_basicsize) {
            PyErr_Format(PyExc_TypeError, "legacy_tokenize: %s is not an object slot",
                         LK_slots[i]);
            return NULL;
        }
        off[i] = m->d_member->offset;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    int uk = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    PyObject *toks = out.toks = PyList_New(0);
    if (toks == NULL)
        return NULL;
    Py_ssize_t pos = 0, line = 1, line_start = 0, indent = 0, slashes_end = -1, s, e;
    int bol = 1;
    for (;;) {
        int kind = regex_only ? LK_HAND : lk_scan(uk, data, n, pos, &s, &e);
        if (kind == LK_HAND) {
            kind = lk_regex(match, kinds, text, pos, &s, &e);
            if (kind < 0)
                goto fail;
        }
        if (kind == LK_END)
            break;
        if (kind == LK_NL) {
            if (lk_emit(&out, scanned, LK_str[LK_NL], Py_NewRef(NEWLINE_str), line,
                        e - line_start, e - 1, e, bol, indent) < 0)
                goto fail;
            line++;
            line_start = pos = e;
            bol = 1;
            continue;
        }
        Py_ssize_t col = s - line_start + 1;
        if (bol)
            indent = lk_indent(uk, data, line_start, s);
        if (kind == LK_SLASH) {
            if (pos == s && !bol && s != slashes_end) {
                /* `a//b`: two slashes, and the scan goes on after them (tokens.py) */
                if (lk_emit(&out, tok_cls, LK_str[LK_OP], PyUnicode_Substring(text, s, s + 1),
                            line, col, s, s + 1, 0, indent) < 0 ||
                        lk_emit(&out, tok_cls, LK_str[LK_OP],
                                PyUnicode_Substring(text, s + 1, s + 2), line, col + 1, s + 1,
                                s + 2, 0, indent) < 0)
                    goto fail;
                slashes_end = pos = s + 2;
                continue;
            }
            kind = LK_COMMENT;
        }
        if (kind == LK_BADSTR) {
            PyObject *value = PyUnicode_Substring(text, s, e);
            if (value == NULL)
                goto fail;
            PyObject *exc = PyObject_CallFunction(bad, "Onn", value, line, col);
            Py_DECREF(value);
            if (exc != NULL) {
                PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
                Py_DECREF(exc);
            }
            goto fail;
        }
        if (kind == LK_COMMENT) {
            /* trailing whitespace is not part of a comment (str.rstrip) */
            Py_ssize_t k = e;
            while (k > s && Py_UNICODE_ISSPACE(PyUnicode_READ(uk, data, k - 1)))
                k--;
            if (lk_emit(&out, scanned, LK_str[LK_COMMENT], PyUnicode_Substring(text, s, k),
                        line, col, s, e, bol, indent) < 0)
                goto fail;
        }
        else if (lk_emit(&out, scanned, LK_str[kind], PyUnicode_Substring(text, s, e), line,
                         col, s, e, bol, indent) < 0)
            goto fail;
        bol = 0;
        pos = e;
    }
    Py_ssize_t nt = PyList_GET_SIZE(toks);
    if (nt == 0 || *(PyObject **)((char *)PyList_GET_ITEM(toks, nt - 1) + off[0]) !=
            LK_str[LK_NL]) {
        if (lk_emit(&out, tok_cls, LK_str[LK_NL], Py_NewRef(NEWLINE_str), line,
                    n - line_start + 1, n, n, bol, indent) < 0)
            goto fail;
        line++;
    }
    if (lk_emit(&out, tok_cls, EOF_str, Py_NewRef(EMPTY_str), line, 1, n, n, 1, 0) < 0)
        goto fail;
    Py_XDECREF(out.line_obj);
    Py_XDECREF(out.end_obj);
    return toks;
fail:
    Py_XDECREF(out.line_obj);
    Py_XDECREF(out.end_obj);
    Py_DECREF(toks);
    return NULL;
}

static PyMethodDef speedups_functions[] = {
    {"legacy_tokenize", (PyCFunction)(void (*)(void))legacy_tokenize, METH_FASTCALL,
     "The tokens of aether.migrate.tokens.tokenize (see there), made in C."},
    {NULL}
};

/* The hash of the sources this was built from (aether/syntax/speedups_source.py), set by
 * the build (hatch_build.py); lalr.py refuses a build whose hash is not its own. */
#ifndef AETHER_SOURCE_HASH
#define AETHER_SOURCE_HASH ""
#endif

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "The optional compiled LALR loop and token type of aether.syntax.lalr, and the legacy\n"
    "tokenizer of aether.migrate.tokens.", -1, speedups_functions,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&TokType) < 0 || PyType_Ready(&EngineType) < 0 ||
            PyType_Ready(&ScanType) < 0 || PyType_Ready(&MakerType) < 0)
        return NULL;
    NAME_str = PyUnicode_InternFromString("NAME");
    NL_str = PyUnicode_InternFromString("_NL");
    INDENT_str = PyUnicode_InternFromString("_INDENT");
    DEDENT_str = PyUnicode_InternFromString("_DEDENT");
    EMPTY_str = PyUnicode_InternFromString("");
    NEWLINE_str = PyUnicode_InternFromString("\n");
    STRING_str = PyUnicode_InternFromString("STRING");
    DURATION_str = PyUnicode_InternFromString("DURATION");
    FLOAT_str = PyUnicode_InternFromString("FLOAT");
    INT_str = PyUnicode_InternFromString("INT");
    if (!NAME_str || !NL_str || !INDENT_str || !DEDENT_str || !EMPTY_str || !NEWLINE_str ||
            !STRING_str || !DURATION_str || !FLOAT_str || !INT_str)
        return NULL;
    for (int k = 0; k < LK_HAND; k++)
        if ((LK_str[k] = PyUnicode_InternFromString(LK_names[k])) == NULL)
            return NULL;
    if ((EOF_str = PyUnicode_InternFromString("EOF")) == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TokType);
    Py_INCREF(&EngineType);
    Py_INCREF(&ScanType);
    Py_INCREF(&MakerType);
    if (PyModule_AddObject(m, "Tok", (PyObject *)&TokType) < 0 ||
            PyModule_AddObject(m, "Engine", (PyObject *)&EngineType) < 0 ||
            PyModule_AddObject(m, "Scan", (PyObject *)&ScanType) < 0 ||
            PyModule_AddObject(m, "Maker", (PyObject *)&MakerType) < 0 ||
            PyModule_AddStringConstant(m, "SOURCE_HASH", AETHER_SOURCE_HASH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
