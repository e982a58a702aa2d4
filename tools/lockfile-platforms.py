#!/usr/bin/env python3
"""Keeps package-lock.json installable with `npm ci` when it was written against a registry
mirror that lacks other platforms' optional binaries (@swc/core-darwin-*, *-win32-*, ...).
npm then leaves them out of the lock and `npm ci` refuses the lock as out of sync. This adds
each missing optional package as an os/cpu-restricted entry, which npm skips on this platform.
Run after any `npm install`: python3 tools/lockfile-platforms.py package-lock.json"""
import json,re,subprocess,sys
out=subprocess.run(['npm','ci','--dry-run'],capture_output=True,text=True)
open('/tmp/missing.txt','w').write('\n'.join(re.findall(r'Missing: (\S+?)@ from lock file', out.stdout+out.stderr)))
lock=json.load(open(sys.argv[1]))
pk=lock['packages']
missing=[l.strip() for l in open('/tmp/missing.txt') if l.strip()]
# find spec from any package listing it in optionalDependencies
def spec_for(name):
    for path,p in pk.items():
        od=p.get('optionalDependencies',{})
        if name in od: return od[name]
    return None
def oscpu(name):
    n=name.split('/')[-1]
    os_=None
    for o in ['darwin','win32','linux','android','freebsd','openharmony','wasm32']:
        if o in n: os_=o
    cpu=None
    for c in ['arm64','x64','ia32','arm','ppc64','s390x','riscv64','loong64','wasm32']:
        if re.search(r'(^|-)'+c+r'($|-)', n): cpu=c; break
    return os_,cpu
added=0
for name in missing:
    spec=spec_for(name)
    if spec is None: print('nospec',name); continue
    key='node_modules/'+name
    if key in pk: continue
    o,c=oscpu(name)
    e={'version':re.sub(r'^[\^~=]','',spec),'optional':True}
    if name.endswith('wasm32-wasi'):
        e['cpu']=['wasm32']
    else:
        if o: e['os']=[o]
        if c: e['cpu']=[c]
    pk[key]=e; added+=1
# keep key order sorted for node_modules entries
root=pk.pop('')
lock['packages']={'':root, **dict(sorted(pk.items()))}
json.dump(lock,open(sys.argv[1],'w'),indent=2); open(sys.argv[1],'a').write('\n')
print('added',added)
