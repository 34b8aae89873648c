<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR" sourcelanguage="fr_FR">
<context>
    <name>InactivityOverlay</name>
    <message numerus="yes">
        <source>Votre séance sera fermée dans %n seconde(s).</source>
        <translation>
            <numerusform>Votre séance sera fermée dans %n seconde.</numerusform>
            <numerusform>Votre séance sera fermée dans %n secondes.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>NewCodePage</name>
    <message numerus="yes">
        <source>Ce code disparaîtra dans %n seconde(s).</source>
        <translation>
            <numerusform>Ce code disparaîtra dans %n seconde.</numerusform>
            <numerusform>Ce code disparaîtra dans %n secondes.</numerusform>
        </translation>
    </message>
</context>
</TS>
