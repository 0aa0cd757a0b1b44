import json,sys,subprocess,math
out,ref=sys.argv[1],sys.argv[2]
a,b=json.loads(subprocess.run([__import__('os').path.join(__import__('os').path.dirname(__file__),'..','target','release','coda'),'analyze','--json',out,ref],capture_output=True,text=True).stdout)
d=[x-y for f,x,y in zip(a['spectrum']['bands_hz'],a['spectrum']['mid_db'],b['spectrum']['mid_db']) if 39<f<10200]
m=sum(d)/len(d); print('distance %.2f'%math.sqrt(sum((x-m)**2 for x in d)/len(d)), 'I %.2f vs %.2f'%(a['loudness']['integrated_lufs'],b['loudness']['integrated_lufs']), 'TP %.2f'%a['loudness']['true_peak_dbtp'])
print(' '.join('%.1f'%(x-m) for x in d))
