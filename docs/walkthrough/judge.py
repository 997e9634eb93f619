import sys
def load(p):
    return [l.rstrip('\n').split('\t') for l in open(p)]
before = load('/tmp/desk/before/out.tsv'); after = load('/tmp/desk/after/out.tsv')
# Manual verdicts where the automatic rule cannot see it (the reason said back is wrong).
wrong_after = {
    "no me reinicien nada, quiero hablar con alguien": "dice «un reinicio que no solucionó el problema»: motivo equivocado",
    "mi plan subió de precio sin aviso": "lo entiende como «un cambio de plan» (es un reclamo por el precio)",
}
def verdict(exp, out, msg, side):
    o = out
    if side == 'after' and msg in wrong_after: return False, wrong_after[msg]
    if exp == 'exec':
        ok = 'Entiendo: ' in o or 'Estamos redirigiendo' in o
    elif exp == 'restart': ok = 'Reiniciando' in o or '¿Los reinicio ahora?' in o
    elif exp == 'list': ok = 'Estas son sus solicitudes' in o
    elif exp.startswith('show:'): ok = o.startswith(f"Asistente: Solicitud {exp[5:]}:")
    elif exp == 'bye': ok = 'Gracias por contactarnos' in o
    elif exp == 'menu': ok = o == '' or 'Hola Jorge' in o or 'Ya inició sesión' in o
    elif exp == 'ask': ok = 'No entendí' in o
    elif exp == 'decline': ok = o.startswith('Asistente: Entendido')
    elif exp == 'restart+exec': ok = 'De acuerdo: primero' in o
    else: raise SystemExit(exp)
    return ok, ''
def short(o):
    o = o.replace('Asistente: ', '')
    first = o.split(' | ')[0]
    if 'Entiendo: ' in o and not first.startswith('Entiendo'):
        first += ' … ' + o[o.index('Entiendo: '):].split(' | ')[0]
    if first == '': first = '(solo el menú)'
    return first[:110].replace('|', '/')
rows = []; tot = {'before': [0,0,0,0], 'after': [0,0,0,0]}
for (k, m, e, ob), (_, _, _, oa) in zip(before, after):
    vb, _ = verdict(e, ob, m, 'before'); va, why = verdict(e, oa, m, 'after')
    i = 0 if k == 'C' else 2
    tot['before'][i] += vb; tot['before'][i+1] += 1
    tot['after'][i] += va; tot['after'][i+1] += 1
    rows.append(f"| {k} | {m} | {e} | {'✔' if vb else '✘'} {short(ob)} | {'✔' if va else '✘'} {short(oa)}{(' — ' + why) if why else ''} |")
b, a = tot['before'], tot['after']
print(f"Complaints outside the menu: before {b[0]}/{b[1]}, after {a[0]}/{a[1]}. Others: before {b[2]}/{b[3]}, after {a[2]}/{a[3]}. All: before {b[0]+b[2]}/{b[1]+b[3]}, after {a[0]+a[2]}/{a[1]+a[3]}.")
print()
print("| kind | message | good agent | before (main a1ca98d) | after (desk) |")
print("|---|---|---|---|---|")
print('\n'.join(rows))
