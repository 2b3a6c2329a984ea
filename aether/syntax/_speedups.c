/* The optional compiled LALR(1) loop of aether.syntax.lalr (docs/benchmarks.md, issue 15).
 *
 * It does exactly what Parser.parse in lalr.py does, over the same generated tables
 * (aether/syntax/_tables.py, from grammar/aether.lark): integer-coded actions in one dense
 * array, the rules' reducers called as they are in Python, unit-rule chains walked in C.
 * It also defines Tok, the token object a rule keeps, as a C type (making one from Python
 * costs about ten times as much). Built when a C compiler is present (hatch_build.py);
 * without it, or with AETHER_PURE_PYTHON=1, lalr.py runs its own loop. The test suite
 * checks that both give identical trees and errors (tests/test_compiled_parser.py).
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
};

/* ------------------------------------------------------------------ Engine */

#define NO_ACTION INT_MIN

/* How a rule's children become its value (lalr.py, _make_reducer, does the same). */
enum {
    RULE_UNIT,      /* a unit rule: the value is left as it is (reducer NULL) */
    RULE_INLINE,    /* an `_`-rule: the collected children, spliced into the parent */
    RULE_CALL,      /* callback(collected children) */
    RULE_EXPAND1,   /* a `?rule`: the one collected child, else callback(children) */
    RULE_PYTHON     /* reducer(children as they are): the Python reducer decides */
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
    int *rule_kind;        /* RULE_*: how the children become the value */
    char **rule_modes;     /* per rule: KEEP / DROP / SPLICE of each child */
    char *kept;            /* per symbol: a rule keeps this terminal's token */
    PyObject *symbols;     /* dict: symbol name -> id */
    PyObject *on_error;    /* on_error(token tuple, state stack tuple): raises */
} EngineObject;

static void
Engine_dealloc(EngineObject *self)
{
    if (self->reducer) {
        for (int i = 0; i < self->n_rules; i++)
            Py_XDECREF(self->reducer[i]);
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
 *        callback or None, origin name, kind, modes bytes), kept: the terminals a rule
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
    if (!self->rule_size || !self->rule_origin || !self->reducer || !self->rule_kind ||
            !self->rule_modes) {
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
        if (n_modes != self->rule_size[i] || self->rule_kind[i] < RULE_UNIT ||
                self->rule_kind[i] > RULE_PYTHON ||
                ((self->rule_kind[i] == RULE_CALL || self->rule_kind[i] == RULE_EXPAND1 ||
                  self->rule_kind[i] == RULE_PYTHON) && reducer == Py_None)) {
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

/* parse(tokens, values): the start rule's value; ``values`` (a list) is the value stack. */
static PyObject *
Engine_parse(EngineObject *self, PyObject *args)
{
    PyObject *tokens, *values;
    if (!PyArg_ParseTuple(args, "OO!:parse", &tokens, &PyList_Type, &values))
        return NULL;
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
            if (self->rule_kind[rule] == RULE_UNIT) {
                /* A chain of unit rules: the state below stays; walk to where this
                 * token's action is not a unit reduction (lalr.py memoises the same). */
                int below = stack[sp - 2];
                top = act[below * nsym + self->rule_origin[rule]];
                while (top != end) {
                    int step = act[top * nsym + sym];
                    if (step == NO_ACTION || step >= 0 || self->rule_kind[~step] != RULE_UNIT)
                        break;
                    top = act[below * nsym + self->rule_origin[~step]];
                }
                stack[sp - 1] = top;
            } else {
                int size = self->rule_size[rule];
                PyObject *children;
                Py_ssize_t n = PyList_GET_SIZE(values);
                if (size) {
                    children = PyList_GetSlice(values, n - size, n);
                    if (children == NULL || PyList_SetSlice(values, n - size, n, NULL) < 0) {
                        Py_XDECREF(children);
                        Py_DECREF(tok);
                        goto done;
                    }
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
                int rc = PyList_Append(values, value);
                Py_DECREF(value);
                if (rc < 0) {
                    Py_DECREF(tok);
                    goto done;
                }
                top = act[stack[sp - 1] * nsym + self->rule_origin[rule]];
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
     "parse(tokens, values): the start rule's value; values becomes the value stack."},
    {NULL}
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "aether.syntax._speedups.Engine",
    .tp_doc = "The LALR(1) loop over integer-coded tables (see lalr.py).",
    .tp_basicsize = sizeof(EngineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Engine_new,
    .tp_dealloc = (destructor)Engine_dealloc,
    .tp_methods = Engine_methods,
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "The optional compiled LALR loop and token type of aether.syntax.lalr.", -1, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&TokType) < 0 || PyType_Ready(&EngineType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&speedups_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&TokType);
    Py_INCREF(&EngineType);
    if (PyModule_AddObject(m, "Tok", (PyObject *)&TokType) < 0 ||
            PyModule_AddObject(m, "Engine", (PyObject *)&EngineType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
